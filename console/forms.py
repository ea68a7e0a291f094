from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    # One message for an unknown user and a wrong password: no user enumeration.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That user name and password do not match. Check both and try again.",
    }

    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
