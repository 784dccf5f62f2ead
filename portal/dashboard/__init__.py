"""The top layer (issue 11): the seller's dashboard, the demo data and ``load_demo``. It reads every app
below it; nothing imports it but the root URL conf (``portal/urls.py``)."""
