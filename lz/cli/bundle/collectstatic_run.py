"""Run by path, in a Python of its own (`python -I -S collectstatic_run.py SPEC.json`): Django's
collectstatic into the folder lz ships or uploads, whatever STATIC_ROOT the project's settings name.

Standard library and Django only: it runs under the target's Python with the bundle's own
dependencies first on sys.path (or, for in-process `lz serve`, the Python lz runs in). SPEC.json
holds {"paths", "environment", "settings_module", "root", "dest", "result"}; the result file gets
{"installed": bool, "url": STATIC_URL, "storage": class, "manifest": bool, "sources": the
finders' folders}. A failure is a
traceback on stderr and a non-zero exit, which the bundler shows the user.
"""

import json
import os
import sys


def main(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    sys.path[:0] = spec["paths"]
    os.environ.update(spec["environment"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", spec["settings_module"])
    os.chdir(spec["root"])
    try:
        import django
    except ImportError:
        print("lz: Django is not among the installed requirements, so collectstatic cannot run: add "
              "django to the requirements, or set \"static\": false", file=sys.stderr)
        return 3
    from django.conf import settings

    settings.STATIC_ROOT = spec["dest"]  # lz's folder, never the project's STATIC_ROOT
    django.setup()
    from django.apps import apps

    result = {"installed": apps.is_installed("django.contrib.staticfiles")}
    if result["installed"]:
        if not settings.STATIC_URL:
            print("lz: django.contrib.staticfiles is installed and STATIC_URL is not set: set it in "
                  "the settings (e.g. STATIC_URL = \"static/\")", file=sys.stderr)
            return 3
        from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        storage = staticfiles_storage._wrapped  # the LazyObject is set up by now
        kind = type(storage)
        result.update(url=str(settings.STATIC_URL), storage=f"{kind.__module__}.{kind.__qualname__}",
                      manifest=isinstance(storage, ManifestFilesMixin), sources=_sources())
    with open(spec["result"], "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


def _sources() -> list:
    """The folders Django's finders searched (STATICFILES_DIRS, each app's static/)."""
    from django.contrib.staticfiles.finders import get_finders

    found = []
    for finder in get_finders():
        for storage in (getattr(finder, "storages", None) or {}).values():
            location = getattr(storage, "location", None)
            if location:
                found.append(str(location))
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
