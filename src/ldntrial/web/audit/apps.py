from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ldntrial.web.audit"
    label = "audit"
