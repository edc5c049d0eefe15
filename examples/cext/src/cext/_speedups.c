#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
speedups_add(PyObject *self, PyObject *args)
{
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

/* Adler-32 of a bytes-like object. */
static PyObject *
speedups_checksum(PyObject *self, PyObject *args)
{
    Py_buffer view;
    unsigned long s1 = 1, s2 = 0;
    if (!PyArg_ParseTuple(args, "y*", &view)) {
        return NULL;
    }
    const unsigned char *p = view.buf;
    for (Py_ssize_t i = 0; i < view.len; i++) {
        s1 = (s1 + p[i]) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong((s2 << 16) | s1);
}

static PyMethodDef speedups_methods[] = {
    {"add", speedups_add, METH_VARARGS, "Add two integers."},
    {"checksum", speedups_checksum, METH_VARARGS, "Adler-32 checksum of bytes."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups", "C helpers for cext.", -1, speedups_methods
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&speedups_module);
}
