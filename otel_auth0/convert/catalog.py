"""Catalog of every Auth0 tenant-log type code: label, Log-Stream category, outcome, severity, flags.

Rules (documented in docs/telemetry.md, "Log type catalog"):

* category: Auth0's own Log-Stream filter category; codes Auth0's filter page does not list take the
  category of the flow they belong to (a token exchange, a logout, ...), otherwise ``other``.
* outcome: ``success`` / ``failure`` when the event reports a finished operation that succeeded or
  was refused, failed or blocked; ``unknown`` for notices, warnings and "started" events.
* severity: ERROR for failures that point at an outage or a misconfiguration of the tenant, or that
  reject API traffic (``api_limit``); WARN for every other failure, every rate-limit event and every
  warning or notice that asks for action (``depnote``, ``w``, ...); INFO otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

CATEGORIES: Final = (
    "auth.login.success",
    "auth.login.fail",
    "auth.login.notification",
    "auth.logout.success",
    "auth.logout.fail",
    "auth.signup.success",
    "auth.signup.fail",
    "auth.silent_auth.success",
    "auth.silent_auth.fail",
    "auth.token_exchange.success",
    "auth.token_exchange.fail",
    "management.success",
    "management.fail",
    "scim.event",
    "system.notification",
    "user.success",
    "user.fail",
    "user.notification",
    "actions",
    "other",
)
OUTCOMES: Final = ("success", "failure", "unknown")


class Severity(IntEnum):
    """OpenTelemetry log severity numbers (``SeverityNumber``) used by the catalog."""

    INFO = 9
    WARN = 13
    ERROR = 17

    @property
    def text(self) -> str:
        """Severity text as written on log records."""
        return self.name


@dataclass(frozen=True, slots=True)
class LogType:
    """What one Auth0 log type code means."""

    code: str
    label: str
    category: str
    outcome: str
    severity: Severity
    rate_limit: bool
    security: bool
    known: bool = True

    @property
    def severity_number(self) -> int:
        """OTLP ``SeverityNumber`` value of :attr:`severity`."""
        return int(self.severity)

    @property
    def severity_text(self) -> str:
        """OTLP severity text of :attr:`severity`."""
        return self.severity.text


# Row flags: "r" rate-limit event, "s" security-relevant, "e" ERROR severity, "w" at least WARN.
_LOGIN_OK, _LOGIN_FAIL, _LOGIN_NOTE = "auth.login.success", "auth.login.fail", "auth.login.notification"
_LOGOUT_OK, _LOGOUT_FAIL = "auth.logout.success", "auth.logout.fail"
_SIGNUP_OK, _SIGNUP_FAIL = "auth.signup.success", "auth.signup.fail"
_SILENT_OK, _SILENT_FAIL = "auth.silent_auth.success", "auth.silent_auth.fail"
_TOKEN_OK, _TOKEN_FAIL = "auth.token_exchange.success", "auth.token_exchange.fail"
_MGMT_OK, _MGMT_FAIL = "management.success", "management.fail"
_USER_OK, _USER_FAIL, _USER_NOTE = "user.success", "user.fail", "user.notification"
_SYSTEM, _SCIM, _ACTIONS, _OTHER = "system.notification", "scim.event", "actions", "other"
_OK, _FAIL, _UNKNOWN = "success", "failure", "unknown"

_ROWS: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("acls_summary", "Network ACL match summary", _OTHER, _UNKNOWN, "s"),
    ("actions_execution_failed", "Action execution failed", _ACTIONS, _FAIL, "e"),
    ("acul_sdk_notice", "Universal Login SDK compliance notice", _SYSTEM, _UNKNOWN, "w"),
    ("api_limit", "API rate limit reached", _SYSTEM, _FAIL, "re"),
    ("api_limit_warning", "API rate limit nearly reached", _SYSTEM, _UNKNOWN, "r"),
    ("appi", "API peak performance period started", _SYSTEM, _UNKNOWN, ""),
    ("ciba_exchange_failed", "CIBA token exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("ciba_exchange_succeeded", "CIBA token exchange", _TOKEN_OK, _OK, ""),
    ("ciba_start_failed", "CIBA request failed to start", _OTHER, _FAIL, ""),
    ("ciba_start_succeeded", "CIBA request started", _OTHER, _OK, ""),
    ("cls", "Passwordless code or link sent", _OTHER, _OK, ""),
    ("connected_accounts_connection_failed", "Third-party account connection failed", _USER_FAIL, _FAIL, ""),
    ("connected_accounts_connection_succeeded", "Third-party account connected", _USER_OK, _OK, ""),
    ("connected_accounts_delete_failed", "Removing a connected account failed", _USER_FAIL, _FAIL, ""),
    ("connected_accounts_delete_succeeded", "Connected account removed", _USER_OK, _OK, ""),
    ("cs", "Passwordless code sent", _OTHER, _OK, ""),
    ("custom_domain_verification_failed", "Custom domain verification failed", _OTHER, _FAIL, "e"),
    ("depnote", "Deprecated feature used", _SYSTEM, _UNKNOWN, "w"),
    ("directory_sync_completed", "Directory sync finished", _OTHER, _OK, ""),
    ("directory_sync_failed", "Directory sync failed", _OTHER, _FAIL, "e"),
    ("directory_sync_started", "Directory sync started", _OTHER, _UNKNOWN, ""),
    ("f", "Login failed", _LOGIN_FAIL, _FAIL, "s"),
    ("failed_on_behalf_of_token_exchange", "On-behalf-of token exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fapi", "Management API operation failed (legacy)", _MGMT_FAIL, _FAIL, ""),
    ("fc", "Connector login failed", _LOGIN_FAIL, _FAIL, "s"),
    ("fce", "Email change failed", _USER_FAIL, _FAIL, "s"),
    ("fco", "Origin not in allowed origins", _LOGIN_FAIL, _FAIL, "e"),
    ("fcoa", "Cross-origin authentication failed", _LOGIN_FAIL, _FAIL, "s"),
    ("fcp", "Password change failed", _USER_FAIL, _FAIL, "s"),
    ("fcph", "Post-change-password hook failed", _USER_FAIL, _FAIL, "e"),
    ("fcpn", "Phone number change failed", _USER_FAIL, _FAIL, "s"),
    ("fcpr", "Password reset request failed", _USER_FAIL, _FAIL, "s"),
    ("fcpro", "AD/LDAP connector provisioning failed", _OTHER, _FAIL, "e"),
    ("fcu", "Username change failed", _USER_FAIL, _FAIL, "s"),
    ("fd", "Delegation token not issued", _USER_FAIL, _FAIL, ""),
    ("fdeac", "Device activation failed", _OTHER, _FAIL, "s"),
    ("fdeaz", "Device authorization request failed", _OTHER, _FAIL, ""),
    ("fdecc", "Device confirmation cancelled by user", _OTHER, _FAIL, ""),
    ("fdeleacft", "Delegated code exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fdelsa", "Delegated silent authentication failed", _SILENT_FAIL, _FAIL, ""),
    ("fdu", "User deletion failed", _USER_FAIL, _FAIL, ""),
    ("feacft", "Authorization code exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("feccft", "Client credentials exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fecte", "Custom token exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fede", "Device code exchange failed", _TOKEN_FAIL, _FAIL, ""),
    ("federated_logout_failed", "Upstream identity provider logout failed", _LOGOUT_FAIL, _FAIL, ""),
    ("fens", "Native social login failed", _LOGIN_FAIL, _FAIL, "s"),
    ("feoobft", "Password and OOB exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("feotpft", "Password and OTP exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fepft", "Password exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fepotpft", "Passwordless OTP exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fercft", "Password and recovery code exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("ferrt", "Rotating refresh token exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("fertft", "Refresh token exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("feta", "Token Vault exchange failed", _TOKEN_FAIL, _FAIL, ""),
    ("fi", "Invitation acceptance failed", _USER_FAIL, _FAIL, ""),
    ("flo", "Logout failed", _LOGOUT_FAIL, _FAIL, ""),
    ("flows_execution_completed", "Flow run finished", _OTHER, _OK, ""),
    ("flows_execution_failed", "Flow run failed", _OTHER, _FAIL, "e"),
    ("fn", "Notification email not sent", _USER_FAIL, _FAIL, "e"),
    ("forms_submission_failed", "Form submission failed", _OTHER, _FAIL, ""),
    ("forms_submission_succeeded", "Form submitted", _OTHER, _OK, ""),
    ("fp", "Login failed: wrong password", _LOGIN_FAIL, _FAIL, "s"),
    ("fpar", "Pushed authorization request failed", _OTHER, _FAIL, ""),
    ("fpurh", "Post-user-registration hook failed", _USER_FAIL, _FAIL, "e"),
    ("fs", "Signup failed", _SIGNUP_FAIL, _FAIL, ""),
    ("fsa", "Silent authentication failed", _SILENT_FAIL, _FAIL, ""),
    ("fscim", "SCIM operation failed", _SCIM, _FAIL, ""),
    ("fu", "Login failed: unknown user", _LOGIN_FAIL, _FAIL, "s"),
    ("fui", "User import failed", _OTHER, _FAIL, "e"),
    ("fv", "Verification email not sent", _USER_FAIL, _FAIL, "e"),
    ("fvr", "Verification email request failed", _USER_FAIL, _FAIL, ""),
    ("gd_auth_email_verification", "MFA email verified", _OTHER, _OK, ""),
    ("gd_auth_fail_email_verification", "MFA email verification failed", _OTHER, _FAIL, "s"),
    ("gd_auth_failed", "MFA challenge failed", _OTHER, _FAIL, "s"),
    ("gd_auth_rejected", "MFA push rejected by user", _OTHER, _FAIL, "s"),
    ("gd_auth_succeed", "MFA challenge passed", _OTHER, _OK, ""),
    ("gd_enrollment_complete", "MFA enrolment completed", _OTHER, _OK, "s"),
    ("gd_otp_rate_limit_exceed", "Too many wrong MFA codes", _OTHER, _FAIL, "rs"),
    ("gd_recovery_failed", "Wrong MFA recovery code", _OTHER, _FAIL, "s"),
    ("gd_recovery_rate_limit_exceed", "Too many wrong MFA recovery codes", _OTHER, _FAIL, "rs"),
    ("gd_recovery_succeed", "MFA recovery code accepted", _OTHER, _OK, "s"),
    ("gd_send_email", "MFA email sent", _OTHER, _OK, ""),
    ("gd_send_email_verification", "MFA verification email sent", _OTHER, _OK, ""),
    ("gd_send_email_verification_failure", "MFA verification email not sent", _OTHER, _FAIL, "e"),
    ("gd_send_pn", "MFA push notification sent", _OTHER, _OK, ""),
    ("gd_send_pn_failure", "MFA push notification not sent", _OTHER, _FAIL, "e"),
    ("gd_send_sms", "MFA SMS sent", _OTHER, _OK, ""),
    ("gd_send_sms_failure", "MFA SMS not sent", _OTHER, _FAIL, "e"),
    ("gd_send_voice", "MFA voice call placed", _OTHER, _OK, ""),
    ("gd_send_voice_failure", "MFA voice call failed", _OTHER, _FAIL, "e"),
    ("gd_start_auth", "MFA challenge started", _OTHER, _UNKNOWN, ""),
    ("gd_start_enroll", "MFA enrolment started", _OTHER, _UNKNOWN, ""),
    ("gd_start_enroll_failed", "MFA enrolment could not start", _OTHER, _FAIL, ""),
    ("gd_tenant_update", "MFA tenant settings changed", _OTHER, _OK, "s"),
    ("gd_unenroll", "MFA factor removed", _OTHER, _OK, "s"),
    ("gd_update_device_account", "MFA device account updated", _OTHER, _OK, ""),
    ("gd_webauthn_challenge_failed", "WebAuthn challenge failed", _OTHER, _FAIL, "s"),
    ("gd_webauthn_enrollment_failed", "WebAuthn enrolment failed", _OTHER, _FAIL, ""),
    ("idjag_exchange_failed", "Identity assertion grant exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("idjag_exchange_succeeded", "Identity assertion grant exchange", _TOKEN_OK, _OK, ""),
    ("jwt_bearer_exchange_failed", "JWT bearer assertion exchange failed", _TOKEN_FAIL, _FAIL, "s"),
    ("kms_key_management_failure", "KMS key operation failed", _OTHER, _FAIL, "e"),
    ("kms_key_management_success", "KMS key operation", _OTHER, _OK, ""),
    ("kms_key_state_changed", "KMS key state changed", _OTHER, _UNKNOWN, "s"),
    ("limit_delegation", "Too many delegation requests", _SYSTEM, _FAIL, "rs"),
    ("limit_mu", "IP blocked: too many failed logins or signups", _SYSTEM, _FAIL, "rs"),
    ("limit_phone", "SMS/voice send limit reached", _SYSTEM, _FAIL, "rs"),
    ("limit_sul", "User blocked: too many logins from one IP", _SYSTEM, _FAIL, "rs"),
    ("limit_ui", "Too many userinfo requests (legacy)", _SYSTEM, _FAIL, "r"),
    ("limit_wc", "IP blocked: too many failed logins to one account", _SYSTEM, _FAIL, "rs"),
    ("mfar", "MFA required", _OTHER, _UNKNOWN, ""),
    ("mgmt_api_read", "Management API read returned secrets", _MGMT_OK, _OK, "s"),
    ("my_account_authentication_method_failed", "My Account auth method failed", _USER_FAIL, _FAIL, "s"),
    ("my_account_authentication_method_succeeded", "My Account auth method changed", _USER_OK, _OK, "s"),
    ("oidc_backchannel_logout_failed", "OIDC back-channel logout failed", _LOGOUT_FAIL, _FAIL, ""),
    ("oidc_backchannel_logout_succeeded", "OIDC back-channel logout", _LOGOUT_OK, _OK, ""),
    ("organization_member_added", "Organization member added", _OTHER, _OK, ""),
    ("passkey_challenge_failed", "Passkey challenge failed", _OTHER, _FAIL, "s"),
    ("passkey_challenge_started", "Passkey challenge started", _OTHER, _OK, ""),
    ("pla", "Pre-login bot assessment", _OTHER, _UNKNOWN, ""),
    ("pwd_leak", "Login attempt with breached password", _OTHER, _UNKNOWN, "sw"),
    ("reset_pwd_leak", "Password reset with breached password", _OTHER, _UNKNOWN, "sw"),
    ("resource_cleanup", "Resources over limit removed", _OTHER, _UNKNOWN, ""),
    ("rich_consents_access_error", "Rich consent access error", _OTHER, _FAIL, ""),
    ("s", "Login succeeded", _LOGIN_OK, _OK, ""),
    ("sapi", "Management API operation", _MGMT_OK, _OK, ""),
    ("sce", "Email changed", _USER_OK, _OK, "s"),
    ("scoa", "Cross-origin authentication", _LOGIN_OK, _OK, ""),
    ("scp", "Password changed", _USER_OK, _OK, "s"),
    ("scpn", "Phone number changed", _USER_OK, _OK, "s"),
    ("scpr", "Password reset requested", _USER_OK, _OK, "s"),
    ("scu", "Username changed", _USER_OK, _OK, "s"),
    ("scv", "Credentials validated", _OTHER, _OK, ""),
    ("sd", "Delegation token issued", _USER_OK, _OK, ""),
    ("sdel", "Delegated login succeeded", _LOGIN_OK, _OK, ""),
    ("sdeleacft", "Delegated code exchange", _TOKEN_OK, _OK, ""),
    ("sdelsa", "Delegated silent authentication", _SILENT_OK, _OK, ""),
    ("sdu", "User deleted", _USER_OK, _OK, "s"),
    ("seacft", "Authorization code exchange", _TOKEN_OK, _OK, ""),
    ("seccft", "Client credentials exchange", _TOKEN_OK, _OK, ""),
    ("secte", "Custom token exchange", _TOKEN_OK, _OK, ""),
    ("sede", "Device code exchange", _TOKEN_OK, _OK, ""),
    ("sens", "Native social login", _LOGIN_OK, _OK, ""),
    ("seoobft", "Password and OOB exchange", _TOKEN_OK, _OK, ""),
    ("seotpft", "Password and OTP exchange", _TOKEN_OK, _OK, ""),
    ("sepft", "Password exchange", _TOKEN_OK, _OK, ""),
    ("sepkoobft", "Passkey and OOB exchange", _TOKEN_OK, _OK, ""),
    ("sepkotpft", "Passkey and OTP exchange", _TOKEN_OK, _OK, ""),
    ("sepkrcft", "Passkey and recovery code exchange", _TOKEN_OK, _OK, ""),
    ("sercft", "Password and recovery code exchange", _TOKEN_OK, _OK, ""),
    ("sertft", "Refresh token exchange", _TOKEN_OK, _OK, ""),
    ("seta", "Token Vault exchange", _TOKEN_OK, _OK, ""),
    ("si", "Invitation accepted", _USER_OK, _OK, ""),
    ("signup_pwd_leak", "Signup with breached password", _OTHER, _UNKNOWN, "sw"),
    ("slo", "Logout succeeded", _LOGOUT_OK, _OK, ""),
    ("srrt", "Refresh token revoked", _OTHER, _OK, ""),
    ("ss", "Signup succeeded", _SIGNUP_OK, _OK, ""),
    ("ss_sso_failure", "Self-service SSO operation failed", _OTHER, _FAIL, ""),
    ("ss_sso_info", "Self-service SSO information", _OTHER, _UNKNOWN, ""),
    ("ss_sso_success", "Self-service SSO operation", _OTHER, _OK, ""),
    ("ssa", "Silent authentication succeeded", _SILENT_OK, _OK, ""),
    ("sscim", "SCIM operation", _SCIM, _OK, ""),
    ("success_on_behalf_of_token_exchange", "On-behalf-of token exchange", _TOKEN_OK, _OK, ""),
    ("sui", "Users imported", _OTHER, _OK, ""),
    ("sv", "Email verified", _USER_OK, _OK, ""),
    ("svr", "Verification email queued", _USER_OK, _OK, ""),
    ("too_many_records", "Too many authenticators for user", _OTHER, _FAIL, ""),
    ("ublkdu", "Anomaly-detection block released", _USER_NOTE, _UNKNOWN, "s"),
    ("universal_logout_failed", "Universal logout failed", _LOGOUT_FAIL, _FAIL, ""),
    ("universal_logout_succeeded", "Universal logout", _LOGOUT_OK, _OK, ""),
    ("w", "Warning during login", _LOGIN_NOTE, _UNKNOWN, "w"),
    ("wn", "Notification warning", _USER_NOTE, _UNKNOWN, "w"),
    ("wum", "Warning during user management", _USER_NOTE, _UNKNOWN, "w"),
)


def _severity(outcome: str, flags: str) -> Severity:
    """The catalog's single severity rule (see module docstring)."""
    if "e" in flags:
        return Severity.ERROR
    if outcome == _FAIL or "r" in flags or "w" in flags:
        return Severity.WARN
    return Severity.INFO


def _build(rows: tuple[tuple[str, str, str, str, str], ...]) -> dict[str, LogType]:
    types: dict[str, LogType] = {}
    for code, label, category, outcome, flags in rows:
        if code in types or category not in CATEGORIES or outcome not in OUTCOMES:
            raise ValueError(f"bad catalog row for {code!r}")
        types[code] = LogType(
            code=code,
            label=label,
            category=category,
            outcome=outcome,
            severity=_severity(outcome, flags),
            rate_limit="r" in flags,
            security="s" in flags,
        )
    return types


ALL_TYPES: Final[Mapping[str, LogType]] = MappingProxyType(_build(_ROWS))
RATE_LIMIT_CODES: Final[frozenset[str]] = frozenset(c for c, t in ALL_TYPES.items() if t.rate_limit)


def lookup(code: str) -> LogType:
    """The catalog entry for ``code``; unknown codes get a generic entry with ``known=False``."""
    found = ALL_TYPES.get(code)
    if found is not None:
        return found
    return LogType(
        code=code,
        label="Unknown log type",
        category="other",
        outcome="unknown",
        severity=Severity.INFO,
        rate_limit=False,
        security=False,
        known=False,
    )
