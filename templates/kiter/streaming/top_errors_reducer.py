"""Top 10 error types, reduce side (Hadoop Streaming): the errors of each type among this reducer's
share of the types, and its 10 most frequent (errors descending, then region, browser, domain,
status: the Hive job's ORDER BY).

Hadoop sends every line of one type to the same reducer, so the iteration's top 10 are the first
10, in that order, of all the reducers' rows.
"""

import sys
from collections import Counter

errors = Counter()
for line in sys.stdin:
    *error_type, count = line.rstrip("\n").split("\t")
    errors[tuple(error_type)] += int(count)


def order(item):
    (region, browser, domain, status), count = item
    return (-count, region, browser, domain, int(status))


for error_type, count in sorted(errors.items(), key=order)[:10]:
    print("\t".join((*error_type, str(count))))
