package dev.harness.companion.rpc

import org.json.JSONArray
import org.json.JSONObject

/**
 * A strict RFC 8259 reader for ARG. org.json's JSONTokener is lenient (unquoted keys and strings,
 * single quotes, hexadecimal and octal numbers, NaN, `;` and `=>` separators, comments), and it
 * turns every number it cannot hold in a long into a double, which loses whether the text had a
 * fraction. The protocol refuses all of that (`bad_json`), and tells a fraction (`bad_type` for an
 * int field) from an integer too large for 64 bits (`out_of_range`), so ARG is read here.
 *
 * Values: [JSONObject], [JSONArray], [String], [Boolean], [JSONObject.NULL]; an integer is an
 * [Int] or a [Long] (as org.json makes them); a number with a fraction or exponent is a [Double];
 * a number neither can hold (an integer beyond 64 bits, or a double beyond its range) is a
 * [NumberLiteral]. Duplicate keys: the last one wins.
 */
object StrictJson {
    private const val MAX_DEPTH = 512

    /** The JSON document [text]; throws [IllegalArgumentException] with the offset of the fault. */
    fun parse(text: String): Any {
        val reader = Reader(text)
        reader.skipSpace()
        val value = reader.value(0)
        reader.skipSpace()
        if (!reader.atEnd()) reader.fail("unexpected text after the JSON value")
        return value
    }

    private class Reader(private val s: String) {
        private var i = 0

        fun atEnd() = i >= s.length

        fun fail(what: String): Nothing = throw IllegalArgumentException("$what at character $i")

        fun skipSpace() {
            while (i < s.length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++
        }

        private fun expect(c: Char) {
            if (i >= s.length || s[i] != c) fail("expected '$c'")
            i++
        }

        fun value(depth: Int): Any {
            if (depth > MAX_DEPTH) fail("nesting deeper than $MAX_DEPTH")
            if (atEnd()) fail("unexpected end of input")
            return when (s[i]) {
                '{' -> obj(depth)
                '[' -> array(depth)
                '"' -> string()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", JSONObject.NULL)
                else -> if (s[i] == '-' || s[i] in '0'..'9') number() else fail("unexpected character '${s[i]}'")
            }
        }

        private fun literal(word: String, value: Any): Any {
            if (!s.startsWith(word, i)) fail("unexpected character '${s[i]}'")
            i += word.length
            return value
        }

        private fun obj(depth: Int): JSONObject {
            expect('{')
            val o = JSONObject()
            skipSpace()
            if (i < s.length && s[i] == '}') {
                i++
                return o
            }
            while (true) {
                skipSpace()
                if (atEnd() || s[i] != '"') fail("expected a quoted key")
                val key = string()
                skipSpace()
                expect(':')
                skipSpace()
                o.put(key, value(depth + 1))
                skipSpace()
                if (atEnd()) fail("unexpected end of input")
                when (s[i++]) {
                    ',' -> continue
                    '}' -> return o
                    else -> { i--; fail("expected ',' or '}'") }
                }
            }
        }

        private fun array(depth: Int): JSONArray {
            expect('[')
            val a = JSONArray()
            skipSpace()
            if (i < s.length && s[i] == ']') {
                i++
                return a
            }
            while (true) {
                skipSpace()
                a.put(value(depth + 1))
                skipSpace()
                if (atEnd()) fail("unexpected end of input")
                when (s[i++]) {
                    ',' -> continue
                    ']' -> return a
                    else -> { i--; fail("expected ',' or ']'") }
                }
            }
        }

        private fun string(): String {
            expect('"')
            val out = StringBuilder()
            while (true) {
                if (atEnd()) fail("unterminated string")
                val c = s[i++]
                when {
                    c == '"' -> return out.toString()
                    c < ' ' -> { i--; fail("control character in a string") }
                    c != '\\' -> out.append(c)
                    else -> {
                        if (atEnd()) fail("unterminated string")
                        when (val e = s[i++]) {
                            '"', '\\', '/' -> out.append(e)
                            'b' -> out.append('\b')
                            'f' -> out.append('\u000C')
                            'n' -> out.append('\n')
                            'r' -> out.append('\r')
                            't' -> out.append('\t')
                            'u' -> {
                                if (i + 4 > s.length) fail("bad \\u escape")
                                val hex = s.substring(i, i + 4)
                                if (!hex.all { it in '0'..'9' || it in 'a'..'f' || it in 'A'..'F' }) fail("bad \\u escape")
                                out.append(hex.toInt(16).toChar())
                                i += 4
                            }
                            else -> { i--; fail("bad escape '\\$e'") }
                        }
                    }
                }
            }
        }

        private fun digits(): Int {
            val start = i
            while (i < s.length && s[i] in '0'..'9') i++
            return i - start
        }

        private fun number(): Any {
            val start = i
            if (s[i] == '-') i++
            if (atEnd() || s[i] !in '0'..'9') fail("expected a digit")
            if (s[i] == '0') i++ else digits()
            var integral = true
            if (i < s.length && s[i] == '.') {
                i++
                if (digits() == 0) fail("expected a digit after '.'")
                integral = false
            }
            if (i < s.length && (s[i] == 'e' || s[i] == 'E')) {
                i++
                if (i < s.length && (s[i] == '+' || s[i] == '-')) i++
                if (digits() == 0) fail("expected a digit in the exponent")
                integral = false
            }
            val text = s.substring(start, i)
            if (integral) {
                val n = text.toLongOrNull() ?: return NumberLiteral(text, integral = true)
                return if (n in Int.MIN_VALUE..Int.MAX_VALUE) n.toInt() else n
            }
            val d = text.toDouble()
            return if (d.isInfinite()) NumberLiteral(text, integral = false) else d
        }
    }
}

/** A JSON number no Kotlin number type holds: an integer beyond 64 bits, or beyond a double's range. */
data class NumberLiteral(val text: String, val integral: Boolean) {
    override fun toString(): String = text
}
