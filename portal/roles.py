"""Staff roles (SPEC §1): groups ``ops`` and ``finance`` as explicit allow-lists, kept in sync after migrate.

Each role maps a model label to the actions it may take on that model; an action ``x`` is the permission
codename ``x_<model>`` (Django's ``view``/``add``/``change``/``delete``, or a model's own permission such as
``issue`` for ``billing.invoice`` → ``issue_invoice``). Nothing is granted by app: a model that is not listed
here gives its permissions to superusers only. Staff accounts, groups and permissions (``auth.*``) are never
listed: only superusers manage them. Ops manage seller users (``portal.user``), and the User admin limits them
to seller logins and to the ``is_active`` field (``portal/admin.py``).

To extend a role (e.g. when ``billing`` gets its models), add ``"billing.invoice": (VIEW, CHANGE, "issue")``
to its dict below and to the README table; ``tests/portal/test_staff_roles.py`` checks that every label
and permission exists and that nothing else is granted.
"""

from django.apps import apps as global_apps

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"

# What ops staff may do, per model (SPEC §1): approve sellers and manage their users, advance inbound
# orders and record receiving, upload the warehouse's ledgers, edit rate cards and contracts.
OPS: dict[str, tuple[str, ...]] = {
    "portal.seller": (VIEW, ADD, CHANGE),  # approve sellers, fix their details
    "portal.selleruser": (VIEW, ADD, CHANGE),  # a seller login's membership and role (never a staff user)
    "portal.user": (VIEW, CHANGE),  # seller logins only, and only activate / deactivate
    "portal.invitation": (VIEW, CHANGE),  # resend (a new link) and revoke
    "portal.billingcontact": (VIEW, ADD, CHANGE, DELETE),  # who receives a seller's invoices (Seller inline)
    "portal.operator": (VIEW, ADD, CHANGE),
    "portal.warehouse": (VIEW, ADD, CHANGE),
    "portal.serviceline": (VIEW, ADD, CHANGE),
    "portal.selleralias": (VIEW, ADD, CHANGE, DELETE),  # a warehouse's store name for a seller (SPEC §6)
    "inventory.destinationrule": (VIEW, ADD, CHANGE, DELETE),  # compliance rules are data ops extend
    "inventory.sku": (VIEW,),
    "inventory.certificate": (VIEW,),
    "inventory.skuimportjob": (VIEW,),
    "inventory.inboundorder": (VIEW, CHANGE),  # advance, record receiving, notes
    "inventory.inboundcarton": (VIEW,),
    "inventory.inboundline": (VIEW,),
    "inventory.orderattachment": (VIEW, ADD, CHANGE),
    "inventory.orderdocument": (VIEW,),  # rendered packing list, labels, commercial invoice
    "inventory.orderevent": (VIEW,),
    "inventory.receivingdiscrepancy": (VIEW,),
    "inventory.stocklevel": (VIEW,),
    "inventory.closedperiod": (VIEW,),  # months whose invoice is issued (written by billing)
    "inventory.ledgerreplacement": (VIEW,),
    "inventory.ledgerfile": (VIEW, ADD, "withdraw"),  # upload the warehouse's official ledgers
    "inventory.stockledgerrow": (VIEW,),
    "inventory.outboundparcelrow": (VIEW,),
    "inventory.vasrow": (VIEW,),
    "inventory.customstaxrow": (VIEW,),
    "inventory.inboundweightrow": (VIEW,),
    "inventory.receivingservicerow": (VIEW,),
    "tariffs.ratecard": (VIEW, ADD, CHANGE, DELETE),  # issued invoices freeze a version (tariffs/admin.py)
    "tariffs.ratecardversion": (VIEW, ADD, CHANGE, DELETE),
    "tariffs.feerule": (VIEW, ADD, CHANGE, DELETE),
    "tariffs.contract": (VIEW, ADD, CHANGE),
    # SPEC §9: ops close and re-close months, review drafts, write supplementary drafts ("close") and issue
    # credit notes (issuing invoices is finance's). Nobody edits an issued document (billing/admin.py).
    "billing.invoice": (VIEW, "close"),
    "billing.invoiceline": (VIEW,),
    "billing.closerun": (VIEW,),
    "billing.creditnote": (VIEW, ADD, "issue"),
    "billing.creditnoteline": (VIEW,),
    "billing.payment": (VIEW,),
    "billing.allocation": (VIEW,),
    "billing.statementfile": (VIEW,),  # the stored statement PDFs (rendered by a worker)
    "billing.invoicesend": (
        VIEW,
    ),  # each request to email an invoice (finance sends: billing.invoice "send")
    "billing.invoicedelivery": (VIEW,),  # each email to a billing contact and its result (failures)
    # SPEC §1, §10: ops resolve disputes (accept as a credit note or a pending adjustment, reject, close) and
    # write in their threads; finance reads them (billing/dispute_admin.py).
    "billing.dispute": (VIEW, "decide", "reply"),
    "billing.disputemessage": (VIEW,),
    "billing.disputeattachment": (VIEW,),
    "billing.pendingadjustment": (VIEW,),
    "portal.auditevent": (VIEW,),
}
# Ops follow the email queue (recipient, subject, status, errors); bodies stay hidden (portal/email_admin.py).
OPS_EMAIL_QUEUE: dict[str, tuple[str, ...]] = {"post_office.email": (VIEW,), "post_office.log": (VIEW,)}

# Finance (SPEC §1): issue invoices, send statements, record payments; read-only everywhere else ops work.
FINANCE: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(OPS, (VIEW,)),
    "billing.invoice": (VIEW, "issue", "send"),  # issue drafts, send statements
    "billing.payment": (VIEW, ADD),  # record payments (allocated by billing.services.record_payment)
}

ROLES: dict[str, dict[str, tuple[str, ...]]] = {"ops": {**OPS, **OPS_EMAIL_QUEUE}, "finance": FINANCE}


def permission_keys(allow_list: dict[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    """The (app_label, codename) pairs an allow-list grants."""
    keys = set()
    for label, actions in allow_list.items():
        app_label, model_name = label.split(".")
        keys.update((app_label, f"{action}_{model_name}") for action in actions)
    return keys


def sync_staff_groups(sender=None, apps=global_apps, using="default", **kwargs) -> None:
    """Set each role's group to exactly its allow-list (permissions granted by hand are taken away)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for name, allow_list in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set([perms[key] for key in sorted(permission_keys(allow_list)) if key in perms])
