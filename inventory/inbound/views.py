"""Seller pages of inbound replenishment orders (SPEC §5, §13): list, create and edit a draft, submit,
cancel, follow the timeline and receiving result, download the documents."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from inventory.inbound import services, workflow
from inventory.inbound.forms import CartonGroupFormSet, OrderForm
from inventory.inbound.tables import OrderFilter, OrderTable
from inventory.models import InboundOrder, OrderAttachment, OrderDocument, Sku
from portal.models import Warehouse
from portal.paging import SafeRequestConfig
from portal.tenancy import SellerObjectMixin, SellerViewMixin, scope
from tariffs.models import Contract

S = InboundOrder.State


def seller_orders(seller):
    return scope(InboundOrder.objects.select_related("warehouse"), seller)


class OrderListView(SellerViewMixin, TemplateView):
    template_name = "inventory/order_list.html"

    def get_context_data(self, **kwargs):
        orders = seller_orders(self.seller).annotate(
            carton_count=Count("cartons", distinct=True), unit_count=Sum("cartons__lines__units")
        )
        order_filter = OrderFilter(self.request.GET, queryset=orders)
        order_filter.form.fields["warehouse"].queryset = Warehouse.objects.filter(
            pk__in=seller_orders(self.seller).values("warehouse")
        )
        table = OrderTable(order_filter.qs)
        SafeRequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        counts = dict(seller_orders(self.seller).values_list("state").annotate(n=Count("id")))
        return super().get_context_data(
            table=table, filter=order_filter, counts=counts, states=InboundOrder.State.choices, **kwargs
        )


class OrderFormMixin(SellerViewMixin):
    """Create or edit a draft: the order's fields and its carton groups."""

    template_name = "inventory/order_form.html"
    form_page = True

    def warehouses(self):
        contracted = Contract.objects.filter(seller=self.seller).values("service_line__warehouse")
        return Warehouse.objects.filter(pk__in=contracted)

    def skus(self):
        return scope(Sku.objects.all(), self.seller).order_by("code")

    def forms(self, data=None, instance=None, initial_groups=None):
        form = OrderForm(data, instance=instance, warehouses=self.warehouses(), prefix="order")
        formset = CartonGroupFormSet(
            data, prefix="cartons", initial=initial_groups, form_kwargs={"skus": self.skus()}
        )
        return form, formset

    def render_forms(self, form, formset, status=200, order=None):
        sku_defaults = {
            str(sku.pk): {
                "units_per_carton": sku.units_per_carton,
                "length_mm": sku.carton_length_mm,
                "width_mm": sku.carton_width_mm,
                "height_mm": sku.carton_height_mm,
            }
            for sku in self.skus()
        }
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "formset": formset,
                "order": order,
                "sku_defaults": sku_defaults,
                "max_lines": settings.INBOUND_MAX_LINES,
                "max_cartons": settings.INBOUND_MAX_CARTONS,
            },
            status=status,
        )

    @staticmethod
    def carton_inputs(formset) -> list[services.CartonInput]:
        cartons = []
        for data in formset.cleaned_data:
            if not data:
                continue
            carton = services.CartonInput(
                length_mm=data["length_mm"],
                width_mm=data["width_mm"],
                height_mm=data["height_mm"],
                gross_weight_kg=data["gross_weight_kg"],
                lines=(
                    services.LineInput(
                        sku=data["sku"], units=data["units_per_carton"], batch_no=data["batch_no"]
                    ),
                ),
            )
            cartons.extend([carton] * data["cartons"])
        return cartons


class OrderCreateView(OrderFormMixin, View):
    def get(self, request):
        return self.render_forms(*self.forms())

    def post(self, request):
        form, formset = self.forms(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.render_forms(form, formset, status=400)
        fields = {name: form.cleaned_data[name] for name in OrderForm.Meta.fields if name != "warehouse"}
        try:
            order = services.create_order(
                seller=self.seller,
                user=request.user,
                warehouse=form.cleaned_data["warehouse"],
                cartons=self.carton_inputs(formset),
                **fields,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_forms(form, formset, status=400)
        messages.success(
            request, _("Draft %(number)s saved. Check it, then submit it.") % {"number": order.number}
        )
        return redirect("inventory:order-detail", pk=order.pk)


class OrderEditView(SellerObjectMixin, OrderFormMixin, View):
    scoped_model = InboundOrder

    def groups_of(self, order):
        groups = []
        for carton in order.cartons.prefetch_related("lines"):
            line = carton.lines.first()
            if line is None:
                continue
            key = {
                "sku": line.sku_id,
                "units_per_carton": line.units,
                "length_mm": carton.length_mm,
                "width_mm": carton.width_mm,
                "height_mm": carton.height_mm,
                "gross_weight_kg": carton.gross_weight_kg,
                "batch_no": line.batch_no,
            }
            if groups and all(groups[-1][k] == v for k, v in key.items()):
                groups[-1]["cartons"] += 1
            else:
                groups.append({**key, "cartons": 1})
        return groups

    def get(self, request, pk):
        order = self.get_scoped_object(pk=pk, state=S.DRAFT)
        form, formset = self.forms(instance=order, initial_groups=self.groups_of(order))
        return self.render_forms(form, formset, order=order)

    def post(self, request, pk):
        order = self.get_scoped_object(pk=pk, state=S.DRAFT)
        form, formset = self.forms(request.POST, instance=order)
        if not (form.is_valid() and formset.is_valid()):
            return self.render_forms(form, formset, status=400, order=order)
        try:
            with transaction.atomic():
                form.save()
                services.replace_cartons(order=order, cartons=self.carton_inputs(formset))
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.render_forms(form, formset, status=400, order=order)
        messages.success(request, _("Draft %(number)s saved.") % {"number": order.number})
        return redirect("inventory:order-detail", pk=order.pk)


class OrderDetailView(SellerObjectMixin, DetailView):
    scoped_model = InboundOrder
    template_name = "inventory/order_detail.html"
    context_object_name = "order"

    def get_context_data(self, **kwargs):
        order = self.object
        cartons = list(order.cartons.prefetch_related("lines__sku"))
        lines = [line for carton in cartons for line in carton.lines.all()]
        steps = [(state, InboundOrder.State(state).label) for state in workflow.MAIN_PATH]
        current = workflow.step_index(order.held_state if order.state == S.ON_HOLD else order.state)
        return super().get_context_data(
            cartons=cartons,
            steps=steps,
            current_step=current,
            events=[(event, labeled_details(event.data)) for event in order.events.select_related("actor")],
            estimate_fees=[
                (ESTIMATE_LABELS.get(fee["label"], fee["label"]), fee)
                for fee in order.estimate.get("fees", [])
            ],
            discrepancies=order.discrepancies.select_related("line__sku", "line__carton"),
            attachments=order.attachments.all(),
            totals={
                "cartons": len(cartons),
                "units": sum(line.units for line in lines),
                "received": sum(line.received_units or 0 for line in lines),
            },
            can_submit=order.state == S.DRAFT,
            can_cancel=S.CANCELLED in workflow.next_states(order, workflow.SELLER),
            documents_ready=order.state not in (S.DRAFT, S.CANCELLED),
            **documents_context(order),
            isf_reminder=order.warehouse.country == "US",
            **kwargs,
        )


ESTIMATE_LABELS = {
    "receiving": _lazy("Receiving"),
    "storage_first_month": _lazy("Storage, first month"),
    "duties_and_taxes": _lazy("Duties and taxes (pass-through)"),
}


def labeled_details(data: dict) -> list[tuple[str, str]]:
    """An event's recorded fields with their labels (carrier, tracking number, declaration numbers...)."""
    labeled = []
    for name, value in data.items():
        try:
            label = InboundOrder._meta.get_field(name).verbose_name
        except FieldDoesNotExist:  # a key that is not a field is shown as it is
            label = name
        labeled.append((label, value))
    return labeled


class OrderSubmitView(SellerObjectMixin, View):
    scoped_model = InboundOrder

    def post(self, request, pk):
        order = self.get_scoped_object(pk=pk)
        try:
            services.submit_order(order=order, user=request.user)
        except workflow.TransitionError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Order %(number)s submitted.") % {"number": order.number})
        return redirect("inventory:order-detail", pk=order.pk)


class OrderCancelView(SellerObjectMixin, View):
    scoped_model = InboundOrder

    def post(self, request, pk):
        order = self.get_scoped_object(pk=pk)
        try:
            services.advance_order(
                order=order,
                target=S.CANCELLED,
                user=request.user,
                role=workflow.SELLER,
                comment=request.POST.get("comment", ""),
            )
        except (workflow.TransitionError, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
        return redirect("inventory:order-detail", pk=order.pk)


class OrderAttachmentView(SellerObjectMixin, View):
    """A document ops attached to one of the seller's orders."""

    scoped_model = OrderAttachment

    def get(self, request, pk):
        attachment = self.get_scoped_object(pk=pk)
        return FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.file.name.rsplit("/", 1)[-1]
        )


def documents_context(order: InboundOrder) -> dict:
    documents = services.request_documents(order=order)
    return {"documents": documents, "documents_running": any(d.running for d in documents)}


class OrderDocumentsView(SellerObjectMixin, View):
    """The documents' status (htmx polls it while they render on a worker), with their downloads."""

    scoped_model = InboundOrder

    def get(self, request, pk):
        order = self.get_scoped_object(pk=pk)
        return render(
            request,
            "inventory/_order_documents.html",
            {"order": order, **documents_context(order)},
        )


class OrderDocumentView(SellerObjectMixin, View):
    """A document of the order (packing list, carton labels, commercial invoice draft) once it is
    submitted: the file rendered on a worker; while it renders, the order page shows its progress."""

    scoped_model = InboundOrder

    def get(self, request, pk, document):
        order = self.get_scoped_object(pk=pk)
        if document not in OrderDocument.Kind.values or order.state in (S.DRAFT, S.CANCELLED):
            raise Http404("No such document for this order.")
        (rendered,) = services.request_documents(order=order, kinds=[document])
        if rendered.status == OrderDocument.Status.READY:
            return FileResponse(rendered.file.open("rb"), as_attachment=True, filename=rendered.download_name)
        if rendered.status == OrderDocument.Status.FAILED:
            messages.error(
                request, _("The document could not be rendered: %(error)s") % {"error": rendered.error}
            )
        else:
            messages.info(
                request,
                _("%(document)s is being prepared; it can be downloaded here when it is ready.")
                % {"document": rendered.get_kind_display()},
            )
        return redirect("inventory:order-detail", pk=order.pk)
