"""Existing connector scripts: the settings kiter owns in them, and the check of what is submitted.

Reads script text only (through `kiter.lint`'s SET readers); never renders, submits or talks to AWS.
"""
