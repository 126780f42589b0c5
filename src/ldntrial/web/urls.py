from django.contrib.auth import views as auth_views
from django.urls import include, path

from ldntrial.web.accounts import views as accounts
from ldntrial.web.api.api import api
from ldntrial.web.clinic import views_clinician as clinician
from ldntrial.web.clinic import views_drafts as drafts
from ldntrial.web.clinic import views_evidence as evidence
from ldntrial.web.clinic import views_kits as kits
from ldntrial.web.clinic import views_lifecycle as lifecycle
from ldntrial.web.clinic import views_patient as patient
from ldntrial.web.clinic import views_periods as periods
from ldntrial.web.clinic import views_pharmacy as pharmacy
from ldntrial.web.clinic import views_reassessment as reassess
from ldntrial.web.clinic import views_researcher as researcher
from ldntrial.web.clinic import views_unblinding as unblinding

clinic_urls = (
    [
        path("", clinician.dashboard, name="dashboard"),
        path("patients/new/", clinician.patient_new, name="patient_new"),
        path("patients/<int:patient_id>/", clinician.patient_detail, name="patient"),
        path("patients/<int:patient_id>/audit/", clinician.patient_audit, name="patient_audit"),
        path("patients/<int:patient_id>/invite/", clinician.patient_invite, name="patient_invite"),
        path(
            "patients/<int:patient_id>/medications/",
            clinician.medication_add,
            name="medication_add",
        ),
        path(
            "medications/<int:medication_id>/stop/",
            clinician.medication_stop,
            name="medication_stop",
        ),
        path("patients/<int:patient_id>/trials/new/", clinician.trial_new, name="trial_new"),
        path("patients/<int:patient_id>/screening/", clinician.screening, name="screening"),
        path(
            "patients/<int:patient_id>/situations/",
            clinician.patient_situations,
            name="patient_situations",
        ),
        path(
            "medications/<int:medication_id>/resolve/",
            clinician.medication_resolve,
            name="medication_resolve",
        ),
        path(
            "patients/<int:patient_id>/handout/<slug:condition>/",
            evidence.handout,
            name="handout",
        ),
        path(
            "patients/<int:patient_id>/handout/<slug:condition>.pdf",
            evidence.handout_as_pdf,
            name="handout_pdf",
        ),
        path("trials/<int:trial_id>/", clinician.trial_detail, name="trial"),
        path("trials/<int:trial_id>/start/", clinician.trial_start, name="trial_start"),
        path("trials/<int:trial_id>/amend/", lifecycle.trial_amend, name="trial_amend"),
        path("trials/<int:trial_id>/edit/", drafts.draft_edit, name="draft_edit"),
        path("trials/<int:trial_id>/discard/", drafts.draft_discard, name="draft_discard"),
        path(
            "trials/<int:trial_id>/reassessment/",
            reassess.reassessment_page,
            name="reassessment",
        ),
        path("trials/<int:trial_id>/report.pdf", reassess.report_pdf, name="report_pdf"),
        path("trials/<int:trial_id>/visit/", reassess.visit_record, name="visit_record"),
        path("trials/<int:trial_id>/unblind/", unblinding.unblind_page, name="unblind"),
    ],
    "clinic",
)

patient_urls = (
    [
        path("", patient.today, name="today"),
        path("diary/<str:day>/", patient.diary_day, name="diary_day"),
        path("chart/", patient.chart, name="chart"),
        path("calendar.ics", patient.calendar, name="calendar"),
        path("summary/", reassess.patient_summary, name="summary"),
        path("visit/<slug:kind>/", reassess.patient_visit, name="visit"),
        path("periods/<int:period>/", periods.period_report, name="period_report"),
    ],
    "patient",
)

pharmacy_urls = (
    [
        path("", pharmacy.queue, name="queue"),
        path("prescriptions/<int:prescription_id>/", pharmacy.prescription, name="prescription"),
        path(
            "prescriptions/<int:prescription_id>/print/",
            pharmacy.prescription_print,
            name="prescription_print",
        ),
        path(
            "prescriptions/<int:prescription_id>.pdf",
            pharmacy.prescription_pdf,
            name="prescription_pdf",
        ),
        path("trials/<int:trial_id>/kits/", kits.trial_kits, name="trial_kits"),
        path("trials/<int:trial_id>/kits/labels/", kits.kit_labels, name="kit_labels"),
        path("trials/<int:trial_id>/kits/sheet/", kits.kit_sheet, name="kit_sheet"),
        path(
            "trials/<int:trial_id>/unblinding/seen/",
            kits.unblinding_seen,
            name="unblinding_seen",
        ),
    ],
    "pharmacy",
)

research_urls = (
    [
        path("", researcher.research_summary, name="summary"),
        path("export/<slug:table>.<slug:fmt>", researcher.research_export, name="export"),
        path("<slug:condition>/", researcher.research_condition, name="condition"),
    ],
    "research",
)

evidence_urls = (
    [
        path("", evidence.evidence_list, name="list"),
        path("<slug:condition>/", evidence.evidence_condition, name="condition"),
    ],
    "evidence",
)

urlpatterns = [
    path("", accounts.home, name="home"),
    path(
        "account/login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html"),
        name="login",
    ),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", accounts.two_factor, name="two_factor"),
    path("account/profile/", accounts.profile, name="profile"),
    path("account/session/", accounts.session_status, name="session_status"),
    path("join/", accounts.join, name="join"),
    path("join/<str:token>/", accounts.retired_join_link, name="retired_join_link"),
    path("staff/", accounts.staff, name="staff"),
    path("clinic/", include(clinic_urls)),
    path("me/", include(patient_urls)),
    path("pharmacy/", include(pharmacy_urls)),
    path("research/", include(research_urls)),
    path("evidence/", include(evidence_urls)),
    path("api/", api.urls),
]
