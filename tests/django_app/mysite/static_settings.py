"""The test project with Django's admin and static files (stage "static" of lz_settings.json):
ManifestStaticFilesStorage's hashed names, a STATICFILES_DIRS folder of the project, and the
STATIC_URL an S3-served stage gets from lz (LZ_STATIC_URL)."""

import os
from pathlib import Path

from .settings import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "mysite.static_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
# lz sets LZ_STATIC_URL when the files are in S3 ("static": {"bucket": ...}); relative, so that a
# REST API stage's prefix comes first
STATIC_URL = os.environ.get("LZ_STATIC_URL", "static/")
STATIC_ROOT = BASE_DIR / "staticfiles"  # lz collects into its own folder, never here
STATICFILES_DIRS = [BASE_DIR / "assets"]
STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
