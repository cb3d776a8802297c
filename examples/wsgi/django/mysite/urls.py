"""URLs of the example project: the admin and the notes page."""
from django.contrib import admin
from django.urls import path

from notes import views

urlpatterns = [
    path('admin/', admin.site.urls),
    path('', views.notes, name='notes'),
]
