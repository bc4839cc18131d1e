from fractions import Fraction

import pytest

from minilib.matrix import Matrix, MatrixError, dot


def test_constructor_validates_shape():
    with pytest.raises(MatrixError):
        Matrix([[1, 2], [3]])
    with pytest.raises(MatrixError):
        Matrix([])
    with pytest.raises(MatrixError):
        Matrix([[]])


def test_constructor_copies_rows():
    source = [[1, 2], [3, 4]]
    m = Matrix(source)
    source[0][0] = 99
    assert m.rows == [[1, 2], [3, 4]]


def test_zeros_and_identity():
    z = Matrix.zeros(2, 3)
    assert z.shape == (2, 3)
    assert z.rows == [[0, 0, 0], [0, 0, 0]]
    assert Matrix.identity(3).rows == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_indexing_repr_and_equality():
    m = Matrix([[1, 2], [3, 4]])
    assert m[1, 0] == 3
    assert m[0, 1] == 2
    assert repr(m) == "Matrix([[1, 2], [3, 4]])"
    assert m == Matrix([[1, 2], [3, 4]])
    assert m != Matrix([[1, 2], [3, 5]])
    assert (m == 5) is False


def test_is_square():
    assert Matrix([[1, 2], [3, 4]]).is_square() is True
    assert Matrix([[1, 2, 3]]).is_square() is False


def test_transpose():
    m = Matrix([[1, 2, 3], [4, 5, 6]])
    assert m.transpose().rows == [[1, 4], [2, 5], [3, 6]]
    assert m.transpose().shape == (3, 2)


def test_add_and_subtract():
    a = Matrix([[1, 2], [3, 4]])
    b = Matrix([[10, 20], [30, 40]])
    assert (a + b).rows == [[11, 22], [33, 44]]
    assert (b - a).rows == [[9, 18], [27, 36]]
    with pytest.raises(MatrixError):
        a + Matrix([[1, 2]])
    with pytest.raises(MatrixError):
        a - Matrix([[1], [2]])


def test_scale():
    assert Matrix([[1, -2], [0, 3]]).scale(3).rows == [[3, -6], [0, 9]]


def test_matmul():
    a = Matrix([[1, 2, 3], [4, 5, 6]])
    b = Matrix([[7, 8], [9, 10], [11, 12]])
    assert (a @ b).rows == [[58, 64], [139, 154]]
    assert (b @ a).shape == (3, 3)
    with pytest.raises(MatrixError):
        a @ a


def test_trace():
    assert Matrix([[1, 2], [3, 4]]).trace() == 5
    with pytest.raises(MatrixError):
        Matrix([[1, 2, 3]]).trace()


def test_determinant():
    assert Matrix([[1, 2], [3, 4]]).determinant() == -2
    assert Matrix([[2, -3, 1], [2, 0, -1], [1, 4, 5]]).determinant() == 49
    assert Matrix([[7]]).determinant() == 7
    assert isinstance(Matrix([[1, 2], [3, 4]]).determinant(), int)


def test_determinant_with_row_swaps_and_singular():
    assert Matrix([[0, 1], [1, 0]]).determinant() == -1
    assert Matrix([[0, 2, 1], [1, 0, 0], [3, 1, 2]]).determinant() == -3
    assert Matrix([[1, 2], [2, 4]]).determinant() == 0
    with pytest.raises(MatrixError):
        Matrix([[1, 2, 3]]).determinant()


def test_determinant_fraction():
    m = Matrix([[Fraction(1, 2), 0], [0, Fraction(1, 3)]])
    assert m.determinant() == Fraction(1, 6)


def test_power():
    fib = Matrix([[1, 1], [1, 0]])
    assert fib.power(10).rows == [[89, 55], [55, 34]]
    assert fib.power(1) == fib
    assert fib.power(0) == Matrix.identity(2)
    with pytest.raises(MatrixError):
        fib.power(-1)
    with pytest.raises(MatrixError):
        Matrix([[1, 2]]).power(2)


def test_dot():
    assert dot([1, 2, 3], [4, 5, 6]) == 32
    assert dot([], []) == 0
    with pytest.raises(MatrixError):
        dot([1, 2], [1])
