"""The project: kiter.toml loaded, layered and checked into frozen config values.

fields.py is the schema's vocabulary, model.py the config values (each setting declared once),
targetkinds.py the kinds of target (their settings, what each accepts),
loading.py the precedence and the whole file's problems at once, checks.py each check with its
file:line, hints.py the "did you mean" of a name the file does not take. This room renders
nothing and talks to no service.
"""

from kiter.project.fields import Field
from kiter.project.loading import (
    JOB_ENGINE_FIELDS,
    JOB_FIELDS,
    PROJECT_FILE,
    SECTIONS,
    TARGET_FIELDS,
    find_project,
    load_project,
    parse_var_overrides,
)
from kiter.project.model import (
    HadoopJobConfig,
    JarJobConfig,
    JobConfig,
    LocalConfig,
    MetastoreConfig,
    Project,
    StagingConfig,
    StreamingJobConfig,
)
from kiter.project.targetkinds import (
    EmrConfig,
    EmrServerlessConfig,
    HadoopConfig,
    HiveServer2Config,
    PigConfig,
    TargetConfig,
)

__all__ = [
    "JOB_ENGINE_FIELDS",
    "JOB_FIELDS",
    "PROJECT_FILE",
    "SECTIONS",
    "TARGET_FIELDS",
    "EmrConfig",
    "EmrServerlessConfig",
    "Field",
    "HadoopConfig",
    "HadoopJobConfig",
    "HiveServer2Config",
    "JarJobConfig",
    "JobConfig",
    "LocalConfig",
    "MetastoreConfig",
    "PigConfig",
    "Project",
    "StagingConfig",
    "StreamingJobConfig",
    "TargetConfig",
    "find_project",
    "load_project",
    "parse_var_overrides",
]
