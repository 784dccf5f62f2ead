"""The client's IP address for django-axes, also behind trusted reverse proxies (security review, finding 10).

django-ipware is not installed, so axes would only see ``REMOTE_ADDR`` (the proxy's address, shared by every
client). ``AXES_CLIENT_IP_CALLABLE`` points here and reads axes' own settings: with
``AXES_IPWARE_PROXY_COUNT = N`` trusted proxies in front, each appending the address it received the request
from to ``X-Forwarded-For`` (header from ``AXES_IPWARE_META_PRECEDENCE_ORDER``), the client is the N-th
address from the right; anything to its left was sent by the client and is not trusted. Without the setting
the header is ignored.
"""

import ipaddress

from django.conf import settings


def client_ip_address(request) -> str | None:
    remote_addr = request.META.get("REMOTE_ADDR")
    proxy_count = settings.AXES_IPWARE_PROXY_COUNT
    if not proxy_count:
        return remote_addr
    for header in settings.AXES_IPWARE_META_PRECEDENCE_ORDER:
        if header == "REMOTE_ADDR":
            continue
        addresses = [part.strip() for part in request.META.get(header, "").split(",") if part.strip()]
        if len(addresses) >= proxy_count:
            candidate = addresses[-proxy_count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return remote_addr
    return remote_addr
