"""The command line: click commands that parse, build objects, call one domain function and print.

No AWS, PyHive or Jinja call is made here directly; errors are mapped to exit codes in main.py.
"""
