"""Stand-in for Krita 6's pykrita module (tests only): Krita 6 answers 6 here."""


def qt_major_version():
    return 6
