"""The notes page: lists notes, and adds one on a POST (CSRF-protected by Django's middleware)."""
from django.shortcuts import redirect, render

from .models import Note


def notes(request):
    if request.method == 'POST':
        text = request.POST.get('text', '').strip()
        if text:
            Note.objects.create(text=text[:200])
        return redirect('notes')
    return render(request, 'notes/index.html', {'notes': Note.objects.order_by('-created')[:20]})
