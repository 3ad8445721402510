"""Exposure paths: the ways in from the internet through a foothold and an identity to a target, drawn."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import mark_safe

from frontend.path_svg import hop_url, path_svg
from frontend.views.common import page, visible_accounts
from posture.paths.export import hop_text
from posture.paths.items import TARGET_KINDS
from posture.paths.models import PathBuild
from posture.paths.query import PathFilterError, PathFilters, filtered_paths, path_rows

MAX_PATHS = 200


def paths_page(request: HttpRequest) -> HttpResponse:
    error = ""
    try:
        filters = PathFilters.parse(request.GET)
    except PathFilterError as exc:
        error, filters = f"{exc.field}: {exc}", PathFilters()
    found = filtered_paths(request.user, filters)
    total = found.count()
    rows = path_rows(found.order_by("-rank", "title", "id")[:MAX_PATHS])
    for row in rows:
        description = " then ".join(hop_text(h) for h in row["hops"])
        row["svg"] = mark_safe(path_svg(row["hops"], description))  # every text in it is escaped
        for hop in row["hops"]:
            hop["url"] = hop_url(hop)
    return page(
        request,
        "frontend/paths.html",
        {
            "paths": rows,
            "total": total,
            "shown_max": MAX_PATHS,
            "filters": filters,
            "error": error,
            "target_kinds": TARGET_KINDS,
            "states": ("open", "closed", "all"),
            "account_names": list(visible_accounts(request).values_list("name", flat=True)),
            "build": PathBuild.objects.filter(pk=1).first(),
        },
    )
