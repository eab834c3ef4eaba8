"""A project with a streaming and jar jobs on an EMR steps target, for the EMR tests of them:
its jobs' kiter.toml text and the files they need (a Python mapper and reducer, a small jar, a jar
shaped like a Cascading app)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

OUT_BUCKET = "kiter-out"
JOBS = f"""
[jobs.status]
engine = "streaming"
stream = "AccessLogStream"
mode = "staged"
target = "emr"
mapper = "streaming/status_mapper.py"
reducer = "streaming/status_reducer.py"
reducers = 2
output = "s3://{OUT_BUCKET}/status/iteration={{{{ iteration }}}}"

[jobs.words]
engine = "jar"
stream = "AccessLogStream"
mode = "staged"
target = "emr"
jar = "jars/wordcount.jar"
main_class = "org.example.WordCount"
args = ["{{{{ input }}}}", "{{{{ output }}}}"]
output = "s3://{OUT_BUCKET}/words/{{{{ iteration }}}}"

[jobs.cascading]
engine = "jar"
stream = "AccessLogStream"
mode = "staged"
target = "emr"
jar = "jars/cascading-app.jar"
args = ["{{{{ input }}}}", "{{{{ output }}}}"]
output = "s3://{OUT_BUCKET}/error-types/{{{{ iteration }}}}"
"""
MAPPER = "import sys\n\nfor line in sys.stdin:\n    print(line.split()[8], 1, sep='\\t')\n"
REDUCER = "import sys\n\nfor line in sys.stdin:\n    print(line, end='')\n"
CASCADING_MAIN = "org.example.cascading.ErrorTypes"


def write_job_files(root: Path) -> None:
    """The programs and the jar the jobs name, in the project folder `root`."""
    (root / "streaming").mkdir(exist_ok=True)
    (root / "streaming" / "status_mapper.py").write_text(MAPPER, encoding="utf-8")
    (root / "streaming" / "status_reducer.py").write_text(REDUCER, encoding="utf-8")
    (root / "jars").mkdir(exist_ok=True)
    with zipfile.ZipFile(root / "jars" / "wordcount.jar", "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        jar.writestr("org/example/WordCount.class", b"\xca\xfe\xba\xbe")
    write_cascading_app(root / "jars" / "cascading-app.jar")


def write_cascading_app(path: Path) -> None:
    """A jar shaped like a Cascading app: no main_class in the job, its manifest names the flow's
    main class, and Cascading's own jars ride inside it under lib/ (as `hadoop jar` unpacks them)."""
    library = io.BytesIO()
    with zipfile.ZipFile(library, "w") as cascading:
        cascading.writestr("cascading/flow/Flow.class", b"\xca\xfe\xba\xbe")
    with zipfile.ZipFile(path, "w") as jar:
        manifest = f"Manifest-Version: 1.0\nMain-Class: {CASCADING_MAIN}\n"
        jar.writestr("META-INF/MANIFEST.MF", manifest)
        jar.writestr(CASCADING_MAIN.replace(".", "/") + ".class", b"\xca\xfe\xba\xbe")
        jar.writestr("lib/cascading-core-4.5.2.jar", library.getvalue())
