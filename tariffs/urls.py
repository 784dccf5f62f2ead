from django.urls import path

from tariffs import views

app_name = "tariffs"
urlpatterns = [
    path("", views.QuoteView.as_view(), name="quote"),
    path("rate-cards/<int:pk>/", views.RateCardDetailView.as_view(), name="rate-card"),
]
