"""XSDs of the BP messages; ``xsd/`` holds one schema per message kind plus shared types.

Ground layer, data only. May import: the standard library; nothing of the project.
"""
