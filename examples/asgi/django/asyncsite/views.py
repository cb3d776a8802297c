"""Async Django views (Django >= 3.1 runs them natively under ASGI)."""

import asyncio
import threading

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse


async def index(request):
    await asyncio.sleep(0)
    return HttpResponse('Hello from an async Django view\n', content_type='text/plain')


async def info(request):
    # Running on the worker's event loop thread: an async view is not pushed to a thread pool.
    return JsonResponse({
        'path': request.path,
        'path_info': request.path_info,
        'script_name': request.META.get('SCRIPT_NAME'),
        'method': request.method,
        'query': request.GET.dict(),
        'loop_running': asyncio.get_running_loop().is_running(),
        'thread': threading.current_thread().name,
    })


async def echo(request):
    return JsonResponse({'length': len(request.body), 'content_type': request.content_type})


def stream(request):
    count = int(request.GET.get('count', '5'))
    return StreamingHttpResponse(('line %d\n' % i for i in range(count)), content_type='text/plain')
