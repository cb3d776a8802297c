"""The ASGI entry point: `sluice --asgi /=asyncsite.asgi:application`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'asyncsite.settings')
application = get_asgi_application()
