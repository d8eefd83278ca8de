"""A small stand-in for Krita's `krita` module (PyQt6 based), like krita-ai-diffusion's
tests/mock/krita.py. Used by
- test_krita_qt6_import.py: Krita 6 is not packaged here, so this proves the plugin loads and
  builds its docker under PyQt6;
- test_controller_offhost.py: the controller's logic (frozen settings, a document closed or a
  layer deleted during Apply, where repeat results go) in milliseconds, with the real engine.

Documents hold 8-bit sRGB RGBA pixels as numpy arrays; the calls the plugin makes answer as
libkis does (BGRA bytes, "" for the colour space of a closed document). What needs Krita's
pixels, colour management or GUI is tested in real Krita (test_krita_in_krita, test_krita_gui).
"""

import itertools
import uuid

import numpy as np
from PyQt6.QtCore import QPoint, QRect, QUuid
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QDockWidget

REGISTERED = []
SETTINGS = {}
_ids = itertools.count(1)


class Node:
    def __init__(self, doc, name, kind="paintlayer"):
        self.doc, self._name, self.kind = doc, name, kind
        self._uid = QUuid(str(uuid.UUID(int=next(_ids))))
        self.parent = None
        self.children = []
        self._visible = True
        self.rgba = np.zeros((doc.h, doc.w, 4), np.uint8)

    def name(self):
        return self._name

    def uniqueId(self):
        return self._uid

    def type(self):
        return self.kind

    def animated(self):  # the fake's layers are stills (the real ones are tested in Krita)
        return False

    def visible(self):
        return self._visible

    def setVisible(self, on):
        self._visible = bool(on)

    def parentNode(self):
        return self.parent

    def childNodes(self):
        return list(self.children)

    def addChildNode(self, child, above):
        self.doc._check_open("addChildNode")
        if child.parent is not None:
            child.parent.children.remove(child)
        i = 0 if above is None else self.children.index(above) + 1
        self.children.insert(i, child)
        child.parent = self
        return True

    def remove(self):
        self.parent.children.remove(self)
        self.parent = None
        return True

    def bounds(self):
        ys, xs = np.nonzero(self.rgba[..., 3])
        if len(xs) == 0:
            return QRect()
        return QRect(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1),
                     int(ys.max() - ys.min() + 1))

    def position(self):
        return QPoint(0, 0)

    def colorModel(self):
        return self.doc.colorModel()

    def colorDepth(self):
        return self.doc.colorDepth()

    def colorProfile(self):
        return self.doc.colorProfile()

    def projectionPixelData(self, x, y, w, h):
        return _bgra(self.rgba, x, y, w, h)

    pixelData = projectionPixelData

    def thumbnail(self, w, h):
        """As Krita's: sampled (not averaged), and the SAME cached image (cacheKey) while the
        pixels are unchanged; the root node's is the visible image's."""
        if self is self.doc.root:
            bgra = self.doc.pixelData(0, 0, self.doc.w, self.doc.h)
            src = np.frombuffer(bgra, np.uint8).reshape(self.doc.h, self.doc.w, 4)
            fmt = QImage.Format.Format_ARGB32  # BGRA in memory
        else:
            src, fmt = self.rgba, QImage.Format.Format_RGBA8888
        ys = np.arange(h) * src.shape[0] // h
        xs = np.arange(w) * src.shape[1] // w
        small = np.ascontiguousarray(src[ys][:, xs]).tobytes()
        cached = getattr(self, "_thumb", None)
        if cached is None or cached[0] != (w, h, small):
            self._thumb = ((w, h, small), QImage(small, w, h, 4 * w, fmt).copy())
        return QImage(self._thumb[1])

    def setPixelData(self, data, x, y, w, h):
        self.doc._check_open("setPixelData")
        px = np.frombuffer(bytes(data), np.uint8).reshape(h, w, 4)[..., [2, 1, 0, 3]]
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.doc.w, x + w), min(self.doc.h, y + h)
        self.rgba[y0:y1, x0:x1] = px[y0 - y:y1 - y, x0 - x:x1 - x]
        return True


def _bgra(rgba, x, y, w, h):
    out = np.zeros((h, w, 4), np.uint8)
    H, W = rgba.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 > x0 and y1 > y0:
        out[y0 - y:y1 - y, x0 - x:x1 - x] = rgba[y0:y1, x0:x1]
    return out[..., [2, 1, 0, 3]].tobytes()


class Document:
    def __init__(self, w, h, name):
        self.w, self.h, self._name = w, h, name
        self.closed = False
        self.root = Node(self, "root", "grouplayer")
        self.active = None
        self.calls_after_close = []
        self.annotations = {}  # type -> (description, bytes), as Document.setAnnotation keeps
        self._modified = False

    def annotationTypes(self):
        return list(self.annotations)

    def annotation(self, kind):
        from PyQt6.QtCore import QByteArray

        return QByteArray(self.annotations.get(kind, ("", b""))[1])

    def setAnnotation(self, kind, description, data):
        self._check_open("setAnnotation")
        self.annotations[kind] = (description, bytes(data))

    def modified(self):
        return self._modified

    def setModified(self, on):
        self._modified = bool(on)

    def _check_open(self, what):
        if self.closed:  # real Krita segfaults here (HOST_NOTES): record it for the tests
            self.calls_after_close.append(what)
            raise AssertionError(f"{what} on a closed document would crash Krita")

    def close(self):
        self.closed = True
        _APP.docs.remove(self)
        return True

    def name(self):
        return self._name

    def fileName(self):
        return ""

    def width(self):
        return self.w

    def height(self):
        return self.h

    def colorModel(self):
        return "" if self.closed else "RGBA"

    def colorDepth(self):
        return "" if self.closed else "U8"

    def colorProfile(self):
        return "" if self.closed else "sRGB-elle-V2-srgbtrc.icc"

    def rootNode(self):
        return self.root

    def topLevelNodes(self):
        return self.root.childNodes()

    def selection(self):
        return None

    def activeNode(self):
        return self.active

    def setActiveNode(self, node):
        self._check_open("setActiveNode")
        self.active = node

    def createNode(self, name, kind):
        self._check_open("createNode")
        return Node(self, name, kind)

    def pixelData(self, x, y, w, h):
        out = np.zeros((self.h, self.w, 4), np.uint8)
        for n in self.root.children:  # plain "normal" blending is enough for these tests
            if n.visible():
                a = n.rgba[..., 3:4].astype(np.float32) / 255
                out = (n.rgba * a + out * (1 - a)).astype(np.uint8)
                out[..., 3] = np.maximum(out[..., 3], n.rgba[..., 3])
        return _bgra(out, x, y, w, h)

    def refreshProjection(self):
        self._check_open("refreshProjection")

    def waitForDone(self):
        pass


class _App:
    def __init__(self):
        self.docs = []
        self.active = None

    def addExtension(self, ext):
        REGISTERED.append(("extension", type(ext).__name__))

    def addDockWidgetFactory(self, factory):
        REGISTERED.append(("docker", factory.id))

    def readSetting(self, group, key, default):
        return SETTINGS.get((group, key), default)

    def writeSetting(self, group, key, value):
        SETTINGS[(group, key)] = value

    def activeDocument(self):
        return self.active

    def setActiveDocument(self, doc):
        self.active = doc

    def documents(self):
        return list(self.docs)

    def createDocument(self, w, h, name, model, depth, profile, res):
        doc = Document(w, h, name)
        self.docs.append(doc)
        return doc

    def getAppDataLocation(self):
        import tempfile

        return tempfile.gettempdir()


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
