from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ldntrial.web.accounts"
    label = "accounts"
