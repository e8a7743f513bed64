"""XSDs of the BP messages; ``xsd/`` holds one schema per message kind plus shared types."""
