"""A minimal Django project for lz's tests: auth + contenttypes on SQLite (a file under /tmp, the
only writable place in Lambda), JSON views, no templates or static files."""

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "lz-test-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "mysite.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("DJANGO_DB_PATH", "/tmp/lz-django.sqlite3")}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
