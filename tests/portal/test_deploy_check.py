"""Production settings pass Django's deployment checklist (issue 3)."""

import os
import subprocess
import sys

from tests.conftest import REPO


def run_manage(*args, env_overrides):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k3y-" + "x9Qz!Lp2#Vb7@Nm4$Tr8%Yc1^Hd6&Jf0*Gs5(Ka3)We" * 2,
    "ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
}


def test_check_deploy_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = run_manage("check", env_overrides={**PRODUCTION_ENV, "DEBUG": "1"})
    assert result.returncode != 0
    assert "DEBUG must be off when DJANGO_ENV=production" in result.stderr


def test_production_refuses_to_start_with_the_development_secret_key():
    from django.conf import settings

    result = run_manage("check", env_overrides={**PRODUCTION_ENV, "SECRET_KEY": settings.DEV_SECRET_KEY})
    assert result.returncode != 0
    assert "SECRET_KEY must not be the development key when DJANGO_ENV=production" in result.stderr


def test_development_still_starts_with_debug_and_the_development_key():
    result = run_manage("check", env_overrides={"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
