"""Running a multi-asset's selected assets one by one, so one failing product does not stop the rest."""

from collections.abc import Callable, Iterable, Iterator

import dagster as dg


def each_selected_asset(
    context: dg.AssetExecutionContext,
    run: Callable[[dg.AssetKey], Iterable[dg.MaterializeResult | dg.AssetCheckResult]],
    what: str,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Yield `run(key)`'s results for every selected asset, in key order; fail the step at the end
    naming the assets whose run raised, after the others have been materialized."""
    failed: list[str] = []
    for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
        try:
            yield from run(key)
        except Exception as exc:  # the other products still run; the step fails below
            context.log.error(f"{what} {key.to_user_string()} failed: {exc}")
            failed.append(key.to_user_string())
    if failed:
        raise dg.Failure(description=f"{what} failed for: {', '.join(failed)}", metadata={"failed": failed})
