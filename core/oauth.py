from oauth2_provider.scopes import SettingsScopes

from core.scopes import SCOPES


class ClientScopes(SettingsScopes):
    """A client may only ever get the scopes it was registered with."""

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return super().get_available_scopes(application, request, *args, **kwargs)
        return [scope for scope in application.scope_list if scope in SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request, *args, **kwargs)
