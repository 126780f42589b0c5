from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "ldntrial.web.clinic"
    label = "clinic"
