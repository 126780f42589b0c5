"""No input gives a server error, and a refused submission stores nothing.

Every route comes from the URLconf and every form from the pages themselves (tests/web/sweep.py),
so a view added later is swept without editing this file. For each persona, every page is read
to find its forms; then Hypothesis sends each form's fields boundary and absurd values (the
page's own value for the others, so deep checks are reached), posts absurd values to every
route, and puts absurd values in every path parameter. The API is swept from its OpenAPI schema
with the same values. A response of 500 or more fails; a refused one (4xx, or a redirect to the
sign-in page) must leave every clinical row and the clinical audit trail as they were.

``LDNTRIAL_SWEEP_EXAMPLES`` sets the examples per form (default 8; the CI default keeps the
suite's time, a local run can ask for hundreds).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldntrial import data
from ldntrial.core.trial.blinded import BlindedDesign
from ldntrial.core.trial.choices import PlanChoices, design_from_choices
from ldntrial.web.api.api import api
from ldntrial.web.clinic import services
from ldntrial.web.clinic.queries import today_for
from tests.web import sweep
from tests.web.conftest import World, start_trial_for

EXAMPLES = int(os.environ.get("LDNTRIAL_SWEEP_EXAMPLES", "8"))
PERSONAS = ["anonymous", "dr_ode", "phil", "rae", "ada", "ana_user", "dr_bo"]
ROUTES = sweep.routes()
# Binary answers (a PDF, a calendar) hold no forms; rendering them is slow, so the crawl does not
# read them (they are still posted to, and their path parameters swept).
NOT_HTML = (".pdf", ".ics")

_sweep_settings = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def path_values(world: World) -> dict[str, str]:
    """A real object for each path parameter, from Ana's record (in Dr Ode's clinic)."""
    medication = services.add_medication(
        by=world.dr_ode, patient=world.ana, text="sertraline 50 mg"
    )
    # Something the catalogue does not know, to resolve; and a draft trial, to start.
    services.add_medication(by=world.dr_ode, patient=world.ana, text="zorblaxine 5 mg")
    protocol, _ = design_from_choices(
        PlanChoices(condition="crps", start_date=dt.date(2026, 11, 1), time_zone="Europe/London"),
        profile=data.ldn_profile(),
        instruments=data.instruments(),
        conditions=data.conditions(),
    )
    draft = services.create_trial(by=world.dr_ode, patient=world.ben, protocol=protocol)
    # And a blinded trial (Ben's, started 30 days ago), for the pages and forms of blinded
    # trials (kits, unblinding, its reassessment before unblinding).
    world.ben_trial.status = "draft"
    world.ben_trial.save()
    blinded = start_trial_for(
        world.ben, world.dr_ode, days_ago=30, condition="crps", blinded=BlindedDesign()
    )
    return {
        "patient_id": str(world.ana.pk),
        "trial_id": str(world.ana_trial.pk),
        "draft_trial_id": str(draft.pk),
        "blinded_trial_id": str(blinded.pk),
        "medication_id": str(medication.pk),
        "prescription_id": str(world.ana_trial.prescription.pk),
        "condition": "fibromyalgia",
        "day": today_for(world.ana).isoformat(),
        "kind": "reassessment",
        "token": "not-a-token",
    }


def value_for(kwarg: str, converter: str, values: dict[str, str]) -> str:
    """A parameter no persona names yet (a view added later) gets a plausible value."""
    if kwarg in values:
        return values[kwarg]
    return "1" if converter == "int" else "x"


def paths_to_read(route: sweep.Route, values: dict[str, str]) -> list[str]:
    """The route filled with Ana's objects, and again with the draft trial and with Ben's
    blinded trial where it takes one."""
    filled = {k: value_for(k, c, values) for k, c in route.kwargs}
    paths = [route.path(filled)]
    if "trial_id" in filled:
        paths.append(route.path(filled | {"trial_id": values["draft_trial_id"]}))
        paths.append(route.path(filled | {"trial_id": values["blinded_trial_id"]}))
    return paths


def crawl(client: Client, values: dict[str, str]) -> dict[str, list[sweep.Form]]:
    """Every form the pages show to this client, by the route it submits to."""
    found: dict[str, list[sweep.Form]] = {}
    for route in ROUTES:
        for path in paths_to_read(route, values):
            if path.endswith(NOT_HTML) or route.name == "logout":
                continue
            response = client.get(path)
            assert response.status_code < 500, (path, response.status_code)
            if "html" not in response.get("Content-Type", ""):
                continue
            for form in sweep.forms_in(response.content.decode(), page=path):
                target = sweep.route_name_of(form.action)
                if target is not None:
                    found.setdefault(target, []).append(form)
    return found


def send(client: Client, method: str, path: str, data: Any, **extra: Any) -> Any:
    before = sweep.stored_state()
    response = getattr(client, method)(path, data, **extra)
    assert response.status_code < 500, (method, path, data, response.status_code)
    refused = response.status_code >= 400 or (
        response.status_code == 302 and response["Location"].startswith("/account/login")
    )
    if refused:
        assert sweep.stored_state() == before, (
            f"{method.upper()} {path} was refused ({response.status_code}) but changed data"
        )
    return response


def _submit_examples(client: Client, form: sweep.Form) -> None:
    @_sweep_settings
    @given(data=sweep.payloads(form))
    def submit(data: dict[str, list[str]]) -> None:
        send(client, form.method, form.action, data)

    submit()


def _post_examples(client: Client, path: str) -> None:
    @settings(_sweep_settings, max_examples=max(2, EXAMPLES // 4))
    @given(data=sweep.generic_payloads())
    def post(data: dict[str, list[str]]) -> None:
        send(client, "post", path, data)

    post()


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_form_field_takes_absurd_values_without_a_server_error(world, persona):
    values = path_values(world)
    client = world.client(persona)
    forms = crawl(client, values)
    swept: set[str] = set()
    for target, offered in sorted(forms.items()):
        for form in {(f.method, f.action, tuple(f.fields)): f for f in offered}.values():
            if not form.fields and form.method == "get":
                continue
            if form.action == "/account/logout/":
                continue  # signing out would end the persona's session for the rest
            swept.add(target)
            _submit_examples(client, form)
    if persona != "anonymous":
        assert swept, f"{persona} was offered no form at all"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_answers_absurd_posts_without_a_server_error(world, persona):
    values = path_values(world)
    client = world.client(persona)
    for route in ROUTES:
        if route.name == "logout":
            continue
        _post_examples(client, route.path({k: value_for(k, c, values) for k, c in route.kwargs}))


@pytest.mark.parametrize("persona", ["anonymous", "dr_ode", "ana_user", "dr_bo"])
def test_absurd_path_parameters_answer_without_a_server_error(world, persona):
    values = path_values(world)
    client = world.client(persona)
    for route in ROUTES:
        if route.name == "logout":
            continue
        for kwarg, converter in route.kwargs:
            for odd in sweep.ABSURD_PATH.get(converter, sweep.ABSURD_PATH["str"]):
                filled = {k: value_for(k, c, values) for k, c in route.kwargs} | {kwarg: odd}
                path = route.path(filled)
                for method in ("get", "post"):
                    if method == "get" and path.endswith(NOT_HTML):
                        continue
                    send(client, method, path, {})


# --- The API, from its schema -------------------------------------------------------------


def api_operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema()
    return [
        (method, "/api" + path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def _json_absurd() -> st.SearchStrategy[Any]:
    return st.one_of(
        sweep.absurd_text(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
    )


def _value_of(schema: dict[str, Any], definitions: dict[str, Any], today: dt.date) -> Any:
    """A plausible JSON value for a schema node (the absurd ones are mixed in by the caller)."""
    if "$ref" in schema:
        return _value_of(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions, today)
    if "anyOf" in schema:
        return _value_of(schema["anyOf"][0], definitions, today)
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "date":
        return today.isoformat()
    if fmt == "uuid":
        return str(uuid.uuid4())
    if fmt == "time":
        return "22:00"
    if kind == "object":
        props = schema.get("properties", {})
        if props:
            return {k: _value_of(v, definitions, today) for k, v in props.items()}
        return {"pain": 5, "sleep_quality": 5, "function": 5}
    return {"integer": 5, "number": 1.5, "boolean": True, "array": []}.get(str(kind), "")


@st.composite
def api_bodies(draw: st.DrawFn, body_schema: dict[str, Any], today: dt.date) -> Any:
    definitions = body_schema.get("$defs", {})
    plausible = _value_of(body_schema, definitions, today)
    if not isinstance(plausible, dict) or draw(st.integers(0, 9)) == 0:
        return draw(_json_absurd())
    body = dict(plausible)
    for key in list(body):
        if draw(st.integers(0, 2)) == 0:
            body[key] = draw(_json_absurd())
        elif draw(st.integers(0, 5)) == 0:
            del body[key]
    return body


@pytest.mark.parametrize("persona", ["anonymous", "dr_ode", "ana_user", "ben_user", "dr_bo"])
def test_every_api_parameter_takes_absurd_values_without_a_server_error(world, persona):
    client = world.client(persona)
    today = world.ana_trial.protocol().start_date
    operations = api_operations()
    assert operations, "the API schema lists no operation"
    for method, template, operation in operations:
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        ids = [str(world.ana_trial.pk), "0", "99999999999999999999", "-1", "x"]
        _call_examples(client, method, template, ids, body_schema or {}, today)


def _call_examples(
    client: Client,
    method: str,
    template: str,
    ids: list[str],
    body_schema: dict[str, Any],
    today: dt.date,
) -> None:
    @settings(_sweep_settings, max_examples=EXAMPLES * 2)
    @given(trial_id=st.sampled_from(ids), body=api_bodies(body_schema, today))
    def call(trial_id: str, body: Any) -> None:
        path = template.replace("{trial_id}", trial_id)
        payload = json.dumps(body) if method == "post" else {}
        extra = {"content_type": "application/json"} if method == "post" else {}
        send(client, method, path, payload, **extra)

    call()
