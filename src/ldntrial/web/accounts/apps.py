from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ldntrial.web.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from ldntrial.web.accounts import security

        user_logged_in.connect(security.on_signed_in, dispatch_uid="ldntrial-sign-in")
        user_login_failed.connect(
            security.on_sign_in_failed, dispatch_uid="ldntrial-sign-in-failed"
        )
        user_locked_out.connect(security.on_locked_out, dispatch_uid="ldntrial-locked-out")
