"""Settings of a minimal Django project served through ASGI: no database, async views."""

import os

SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', 'example-only-not-secret')
DEBUG = False
ALLOWED_HOSTS = ['*']
ROOT_URLCONF = 'asyncsite.urls'
INSTALLED_APPS = []
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
DATABASES = {}
USE_TZ = True
