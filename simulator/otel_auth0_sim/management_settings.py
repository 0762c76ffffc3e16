"""Management API single-object reads beyond :mod:`otel_auth0_sim.management_config`: Guardian
factor templates and providers, phone message types, prompt partials and custom text, the Universal
Login template, risk assessments, supplemental signals, hook secrets, and ``GET
/api/v2/anomaly/captchas``, the undocumented bot-detection read Auth0's own checker (auth0-checkmate)
uses, in the shape that tool documents: ``{selected, policy, passwordless_policy,
password_reset_policy, providers, allowlist}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from otel_auth0_sim.management_api import api_error, management_route
from otel_auth0_sim.management_config import PLAN_MESSAGES, Config, offset_page
from otel_auth0_sim.state import TenantState

OBJECTS: tuple[tuple[str, str, str], ...] = (
    ("guardian/factors/sms/templates", "guardian_sms_templates", "read:guardian_factors"),
    ("guardian/factors/phone/templates", "guardian_sms_templates", "read:guardian_factors"),
    ("guardian/factors/sms/providers/twilio", "guardian_twilio", "read:guardian_factors"),
    ("guardian/factors/phone/providers/twilio", "guardian_twilio", "read:guardian_factors"),
    ("guardian/factors/sms/selected-provider", "guardian_sms_provider", "read:guardian_factors"),
    ("guardian/factors/push-notification/providers/sns", "guardian_sns", "read:guardian_factors"),
    ("guardian/factors/push-notification/providers/apns", "guardian_apns", "read:guardian_factors"),
    (
        "guardian/factors/push-notification/selected-provider",
        "guardian_push_provider",
        "read:guardian_factors",
    ),
    ("guardian/factors/phone/message-types", "guardian_message_types", "read:guardian_factors"),
    ("supplemental-signals", "supplemental_signals", "read:attack_protection"),
    ("risk-assessments/settings", "risk_assessments", "read:attack_protection"),
    ("risk-assessments/settings/new-device", "risk_new_device", "read:attack_protection"),
    ("branding/templates/universal-login", "universal_login_template", "read:branding"),
)
_CHALLENGE = {"never": "off", "when_risky": "when_risky", "always": "always_on"}


def anomaly_captchas(config: dict[str, Any]) -> dict[str, Any]:
    """The bot-detection and CAPTCHA settings as ``/anomaly/captchas`` answers them."""
    bot = config["attack_protection"]["bot-detection"]
    captcha = config["attack_protection"]["captcha"]
    selected = captcha.get("active_provider_id", "auth_challenge")
    providers = {k: v for k, v in captcha.items() if k != "active_provider_id" and isinstance(v, dict)}
    return {
        "selected": selected,
        "policy": _CHALLENGE.get(bot.get("challenge_password_policy", "never"), "off"),
        "passwordless_policy": _CHALLENGE.get(bot.get("challenge_passwordless_policy", "never"), "off"),
        "password_reset_policy": _CHALLENGE.get(bot.get("challenge_password_reset_policy", "never"), "off"),
        "providers": providers,
        "allowlist": list(bot.get("allowlist", [])),
        "bot_detection_level": bot.get("bot_detection_level", "medium"),
        "monitoring_mode_enabled": bool(bot.get("monitoring_mode_enabled", False)),
    }


def settings_routes(state: TenantState, current: Config) -> list[Route]:
    """The object reads of :data:`OBJECTS`, prompts' partials and custom text, hook secrets and
    ``anomaly/captchas``."""

    def obj(key: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            value = current().get(key)
            if value is None:
                return api_error(404, "Not Found", "inexistent_resource")
            return JSONResponse(value)

        return handler

    async def partials(request: Request) -> Response:
        return JSONResponse(current()["prompt_partials"].get(request.path_params["prompt"], {}))

    async def custom_text(request: Request) -> Response:
        texts = current().get("prompt_custom_text", {})
        return JSONResponse(
            texts.get(request.path_params["prompt"], {}).get(request.path_params["language"], {})
        )

    async def ssp_custom_text(request: Request) -> Response:
        profiles = {p["id"] for p in current()["self_service_profiles"]}
        if request.path_params["id"] not in profiles:
            return api_error(404, "Self-service profile not found", "inexistent_self_service_profile")
        return JSONResponse({})

    async def renderings(request: Request) -> Response:
        return offset_page(request, current().get("prompt_renderings", []), "configs")

    async def hook_secrets(request: Request) -> Response:
        secrets = current()["hook_secrets"].get(request.path_params["id"])
        if secrets is None:
            return api_error(404, "The hook does not exist.", "inexistent_hook")
        return JSONResponse(secrets)

    async def captchas(request: Request) -> Response:
        config = current()
        if "bot-detection" in config["plan_lacks"]:
            return api_error(403, PLAN_MESSAGES["bot-detection"], "operation_not_supported")
        return JSONResponse(anomaly_captchas(config))

    routes = [
        management_route(state, f"/api/v2/{path}", obj(key), scope=scope) for path, key, scope in OBJECTS
    ]
    return [
        *routes,
        management_route(state, "/api/v2/prompts/rendering", renderings, scope="read:prompts"),
        management_route(state, "/api/v2/prompts/{prompt}/partials", partials, scope="read:prompts"),
        management_route(
            state, "/api/v2/prompts/{prompt}/custom-text/{language}", custom_text, scope="read:prompts"
        ),
        management_route(
            state,
            "/api/v2/self-service-profiles/{id}/custom-text/{language}/{page}",
            ssp_custom_text,
            scope="read:self_service_profiles",
        ),
        management_route(state, "/api/v2/hooks/{id}/secrets", hook_secrets, scope="read:hooks"),
        management_route(state, "/api/v2/anomaly/captchas", captchas, scope="read:attack_protection"),
    ]
