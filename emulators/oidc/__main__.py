"""python -m emulators.oidc [--port N] [--redirect-uri URI] [--auto-user NAME]: a local OpenID provider until Ctrl-C.

Prints the settings that point Posture at it. Users: ana (posture-admins, team-payments), sam
(security, team-platform), vic (marketing: maps to no role, so Posture refuses her).
"""

from __future__ import annotations

import argparse
import time

from emulators.oidc.server import OidcEmulator

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m emulators.oidc")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--client-secret", default=None, help="default: a random one, printed")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help="Posture's callback (repeatable); default http://127.0.0.1:8000/login/oidc/callback/ and localhost",
    )
    parser.add_argument("--auto-user", help="sign this user in without showing the choice")
    args = parser.parse_args()
    uris = args.redirect_uri or [
        "http://127.0.0.1:8000/login/oidc/callback/",
        "http://localhost:8000/login/oidc/callback/",
    ]
    emulator = OidcEmulator(
        client_secret=args.client_secret, redirect_uris=uris, auto_user=args.auto_user, port=args.port
    ).start()
    print(f"OpenID provider on {emulator.url}; redirect URIs: {', '.join(uris)}")
    print(
        f"POSTURE_OIDC_ISSUER={emulator.url} POSTURE_OIDC_CLIENT_ID={emulator.client_id} "
        f"POSTURE_OIDC_CLIENT_SECRET={emulator.client_secret} POSTURE_OIDC_PROVIDER_NAME='Local IdP' "
        "POSTURE_OIDC_ROLE_MAP=posture-admins=admin,security=analyst POSTURE_OIDC_TEAM_PREFIX=team- "
        "POSTURE_ALLOWED_NETWORKS=127.0.0.0/8"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()
