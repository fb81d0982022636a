from django.contrib.auth.models import User
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from lz import command


def home(request):
    return JsonResponse({"framework": "django", "path": request.path,
                         "script_name": request.META.get("SCRIPT_NAME", ""), "url": request.build_absolute_uri()})


def users(request):
    return JsonResponse({"users": user_count()})


def go(request):
    return redirect(reverse("home"))


@command
def user_count() -> int:
    """Also called directly by `lz invoke STAGE mysite.views.user_count`."""
    return User.objects.count()
