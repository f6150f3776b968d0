"""Multi-assets over many products: grouped per tribe, running selected assets one by one.

One multi-asset per tribe (not one for all): Dagster validates check specs against asset keys in
quadratic time, which at thousands of products made a single multi-asset slow to build.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

import dagster as dg

from tardis_dagster.core.specs import DataProduct


def by_tribe(products: Iterable[DataProduct]) -> list[tuple[str, list[DataProduct]]]:
    """Products grouped by owning tribe, sorted, for one multi-asset per tribe."""
    groups: dict[str, list[DataProduct]] = defaultdict(list)
    for product in products:
        groups[product.owner.tribe].append(product)
    return sorted(groups.items())


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
