"""Static files that work in every mode, with or without `collectstatic`."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed files once `collectstatic` has written the manifest.

    Before that (a fresh checkout, DEBUG off or on) a page asks for the plain name, which WhiteNoise
    serves from the apps' own folders (`WHITENOISE_USE_FINDERS`, on while there is no manifest), instead
    of failing every admin and docs page with "Missing staticfiles manifest entry".
    """

    def stored_name(self, name):
        if not self.hashed_files:  # no manifest: collectstatic has not run here
            return name
        return super().stored_name(name)
