"""The base app. Importing the package loads nothing: the pure modules of the base (``portal.money``) stay
free of Django and Celery. ``PortalConfig.ready()`` loads the Celery app when Django starts, so tasks bind
to it; ``celery -A portal`` finds it in ``portal.celery``."""
