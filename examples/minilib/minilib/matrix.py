"""A small pure-Python matrix class for exact arithmetic on lists of numbers."""

from fractions import Fraction


class MatrixError(ValueError):
    """Raised for shape mismatches and singular matrices."""


class Matrix:
    """A rectangular matrix stored as a list of row lists."""

    def __init__(self, rows):
        rows = [list(row) for row in rows]
        if not rows or not rows[0]:
            raise MatrixError("a matrix needs at least one row and one column")
        width = len(rows[0])
        for row in rows:
            if len(row) != width:
                raise MatrixError("all rows must have the same length")
        self.rows = rows

    @classmethod
    def zeros(cls, n_rows, n_cols):
        return cls([[0] * n_cols for _ in range(n_rows)])

    @classmethod
    def identity(cls, size):
        rows = []
        for i in range(size):
            rows.append([1 if i == j else 0 for j in range(size)])
        return cls(rows)

    @property
    def shape(self):
        return (len(self.rows), len(self.rows[0]))

    def is_square(self):
        n_rows, n_cols = self.shape
        return n_rows == n_cols

    def __getitem__(self, position):
        row, col = position
        return self.rows[row][col]

    def __eq__(self, other):
        if not isinstance(other, Matrix):
            return NotImplemented
        return self.rows == other.rows

    def __repr__(self):
        return f"Matrix({self.rows!r})"

    def transpose(self):
        n_rows, n_cols = self.shape
        return Matrix([[self.rows[r][c] for r in range(n_rows)] for c in range(n_cols)])

    def _check_same_shape(self, other):
        if self.shape != other.shape:
            raise MatrixError(f"shape mismatch: {self.shape} vs {other.shape}")

    def __add__(self, other):
        self._check_same_shape(other)
        return Matrix(
            [[a + b for a, b in zip(left, right)] for left, right in zip(self.rows, other.rows)]
        )

    def __sub__(self, other):
        self._check_same_shape(other)
        return Matrix(
            [[a - b for a, b in zip(left, right)] for left, right in zip(self.rows, other.rows)]
        )

    def scale(self, factor):
        return Matrix([[value * factor for value in row] for row in self.rows])

    def __matmul__(self, other):
        n_rows, inner = self.shape
        other_rows, n_cols = other.shape
        if inner != other_rows:
            raise MatrixError(f"cannot multiply {self.shape} by {other.shape}")
        result = []
        for i in range(n_rows):
            row = []
            for j in range(n_cols):
                total = 0
                for k in range(inner):
                    total += self.rows[i][k] * other.rows[k][j]
                row.append(total)
            result.append(row)
        return Matrix(result)

    def trace(self):
        if not self.is_square():
            raise MatrixError("trace needs a square matrix")
        return sum(self.rows[i][i] for i in range(len(self.rows)))

    def determinant(self):
        """Exact determinant by Gaussian elimination over fractions."""
        if not self.is_square():
            raise MatrixError("determinant needs a square matrix")
        size = len(self.rows)
        work = [[Fraction(value) for value in row] for row in self.rows]
        det = Fraction(1)
        for col in range(size):
            pivot = None
            for row in range(col, size):
                if work[row][col] != 0:
                    pivot = row
                    break
            if pivot is None:
                return 0
            if pivot != col:
                work[col], work[pivot] = work[pivot], work[col]
                det = -det
            det *= work[col][col]
            for row in range(col + 1, size):
                factor = work[row][col] / work[col][col]
                for k in range(col, size):
                    work[row][k] -= factor * work[col][k]
        if det.denominator == 1:
            return int(det)
        return det

    def power(self, exponent):
        """``self`` multiplied by itself ``exponent`` times (square matrices only)."""
        if not self.is_square():
            raise MatrixError("power needs a square matrix")
        if exponent < 0:
            raise MatrixError("negative powers are not supported")
        result = Matrix.identity(len(self.rows))
        base = self
        while exponent:
            if exponent % 2 == 1:
                result = result @ base
            base = base @ base
            exponent //= 2
        return result


def dot(u, v):
    """Dot product of two equal-length vectors."""
    if len(u) != len(v):
        raise MatrixError("vectors differ in length")
    total = 0
    for a, b in zip(u, v):
        total += a * b
    return total
