"""The request's way through: guard → routing → respond (response contract) → route check →
faults → auth → request contract → handler. The order lives in `tagfake.app`."""
