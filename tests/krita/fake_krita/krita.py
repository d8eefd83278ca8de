"""A stand-in for Krita 6's `krita` module (PyQt6 based) used ONLY by test_krita_qt6_import.py:
Krita 6 is not packaged here, so this proves the plugin loads and builds its docker under PyQt6."""

from PyQt6.QtWidgets import QDockWidget

REGISTERED = []


class _App:
    def addExtension(self, ext):
        REGISTERED.append(("extension", type(ext).__name__))

    def addDockWidgetFactory(self, factory):
        REGISTERED.append(("docker", factory.id))

    def readSetting(self, group, key, default):
        return default

    def writeSetting(self, group, key, value):
        pass

    def activeDocument(self):
        return None

    def documents(self):
        return []


_APP = _App()


class Krita:
    @staticmethod
    def instance():
        return _APP


class Extension:
    def __init__(self, parent):
        self.parent = parent


class DockWidget(QDockWidget):
    pass


class DockWidgetFactoryBase:
    DockRight = 1


class DockWidgetFactory:
    def __init__(self, id, position, cls):
        self.id, self.position, self.cls = id, position, cls
