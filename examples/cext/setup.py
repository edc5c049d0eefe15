from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("cext._speedups", sources=["src/cext/_speedups.c"]),
    ],
)
