"""Top 10 error types, map side (Hadoop Streaming): a web-log line in, for each failed request
(HTTP status >= 400) `region TAB browser TAB domain TAB status TAB 1` out.

Lines are Apache vhost_combined plus the edge region, parsed and classified as the Hive and Pig
versions of the job do (templates/kiter/weblog.j2); a line that does not parse is skipped, as
Hive's RegexSerDe gives it NULLs.
"""

import re
import sys

LINE = re.compile(
    r'^([^ :]+)(?::[0-9]+)? ([^ ]*) ([^ ]*) ([^ ]*) \[([^\]]*)\] "([^"]*)" ([0-9]{3}) ([^ ]*) '
    r'"([^"]*)" "([^"]*)" ?([^ ]*)$'
)
FAMILIES = (
    ("Bot", ("bot", "spider", "crawl")),
    ("Edge", ("Edg/",)),
    ("Opera", ("OPR/",)),
    ("Chrome", ("Chrome/",)),
    ("Firefox", ("Firefox/",)),
    ("Safari", ("Safari/",)),
    ("Internet Explorer", ("MSIE ", "Trident/")),
)


def browser(agent):
    for family, needles in FAMILIES:
        if any(needle in agent for needle in needles):
            return family
    return "Script" if agent.startswith(("curl/", "python-requests/")) else "Other"


for line in sys.stdin:
    fields = LINE.match(line.rstrip("\n"))
    if fields is None or int(fields.group(7)) < 400:
        continue
    domain, status, agent, region = fields.group(1, 7, 10, 11)
    print("\t".join((region, browser(agent), domain, status, "1")))
