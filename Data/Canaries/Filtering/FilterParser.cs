using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Dashboard.Data.Canaries.Filtering;

/// <summary>
/// A recursive-descent parser that follows go-bexpr's PEG grammar rule for rule and alternative for
/// alternative, so that it accepts the same expressions and fails at the same place. Like the PEG
/// parser it remembers the farthest position any alternative reached and what it expected there, which
/// gives go-bexpr's messages: <c>1:10 (9): no match found, expected: "and", "or", [ \t\r\n] or EOF</c>.
/// Two deliberate extensions: <c>\"</c> is an escaped quote inside a double-quoted string (go-bexpr
/// ends the string there and then fails), and a quoted value that looks like a JSON pointer
/// (<c>Path == "/srv"</c>) stays the string it says (go-bexpr turns it into <c>srv</c>).
/// </summary>
internal sealed class FilterParser
{
    // go-bexpr bounds the work of its backtracking parser (2 million steps, reached by a few levels of
    // parentheses); this parser does not backtrack exponentially, so it bounds the nesting instead,
    // which keeps the recursion far from the stack's limit.
    private const int MaxDepth = 100;

    private const string Whitespace = "[ \\t\\r\\n]";
    private const string Letter = "[a-zA-Z]";
    private const string IdentifierRest = "[a-zA-Z0-9_/]";

    private readonly string _text;
    private int _pos;
    private int _depth;
    private int _farthest = -1;
    private readonly List<string> _expected = [];

    private FilterParser(string text) => _text = text;

    public static FilterExpression Parse(string text) => new FilterParser(text).Input();

    // Input <- _? "(" _? expr:OrExpression _? ")" _? EOF / _? expr:OrExpression _? EOF
    private FilterExpression Input()
    {
        OptionalWhitespace();
        if (Literal("("))
        {
            OptionalWhitespace();
            if (OrExpression() is { } inner)
            {
                OptionalWhitespace();
                if (Literal(")"))
                {
                    OptionalWhitespace();
                    if (EndOfInput()) return inner;
                }
            }
        }
        _pos = 0;
        OptionalWhitespace();
        if (OrExpression() is { } expression)
        {
            OptionalWhitespace();
            if (EndOfInput()) return expression;
        }
        throw NoMatch();
    }

    // OrExpression <- AndExpression _ "or" _ OrExpression / AndExpression / CollectionExpression
    // AndExpression <- NotExpression _ "and" _ AndExpression / NotExpression
    // Both are right-recursive in the grammar; read as loops they try the same things in the same
    // order, and a long chain of "and"s cannot exhaust the stack.
    private FilterExpression? OrExpression()
    {
        var terms = new List<FilterExpression>();
        var afterLast = _pos;
        while (true)
        {
            var start = _pos;
            FilterExpression? term = AndExpression();
            var isCollection = false;
            if (term is null)
            {
                _pos = start;
                term = CollectionExpression();
                isCollection = true;
            }
            if (term is null)
            {
                if (terms.Count == 0) return null;
                _pos = afterLast;
                break;
            }
            terms.Add(term);
            afterLast = _pos;
            if (isCollection || !(Whitespace1() && Literal("or") && Whitespace1()))
            {
                _pos = afterLast;
                break;
            }
        }
        return terms.Count == 1 ? terms[0] : new OrExpression([.. terms]);
    }

    private FilterExpression? AndExpression()
    {
        var terms = new List<FilterExpression>();
        var afterLast = _pos;
        while (true)
        {
            if (NotExpression() is not { } term)
            {
                if (terms.Count == 0) return null;
                _pos = afterLast;
                break;
            }
            terms.Add(term);
            afterLast = _pos;
            if (!(Whitespace1() && Literal("and") && Whitespace1()))
            {
                _pos = afterLast;
                break;
            }
        }
        return terms.Count == 1 ? terms[0] : new AndExpression([.. terms]);
    }

    // NotExpression <- "not" _ NotExpression / ParenthesizedExpression
    private FilterExpression? NotExpression()
    {
        var start = _pos;
        if (Literal("not") && Whitespace1())
        {
            Enter();
            var operand = NotExpression();
            _depth--;
            if (operand is not null) return operand is NotExpression not ? not.Operand : new NotExpression(operand);
        }
        _pos = start;
        return ParenthesizedExpression();
    }

    // ParenthesizedExpression "grouping" <- "(" _? OrExpression _? ")" / MatchExpression
    //                                      / "(" _? OrExpression _? !")" -> "Unmatched parentheses"
    private FilterExpression? ParenthesizedExpression()
    {
        var start = _pos;
        if (Literal("("))
        {
            var (inner, closed) = Enclosed(")");
            if (closed) return inner;
            // MatchExpression cannot start with "(", so the third alternative is what follows.
            if (inner is not null) throw Custom("grouping", "Unmatched parentheses");
        }
        _pos = start;
        return MatchExpression();
    }

    /// <summary><c>_? OrExpression _? close</c>, after the opening bracket: the inside, and whether the bracket closed.</summary>
    private (FilterExpression? Inner, bool Closed) Enclosed(string close)
    {
        Enter();
        OptionalWhitespace();
        var inner = OrExpression();
        _depth--;
        if (inner is null) return (null, false);
        OptionalWhitespace();
        return (inner, Literal(close));
    }

    // CollectionExpression <- ("any" _ / "all" _) Selector _ "as" _ CollectionIdentifiers _? "{" _? OrExpression _? "}"
    private FilterExpression? CollectionExpression()
    {
        var start = _pos;
        bool all;
        if (Literal("any") && Whitespace1()) all = false;
        else
        {
            _pos = start;
            if (Literal("all") && Whitespace1()) all = true;
            else
            {
                _pos = start;
                return null;
            }
        }
        if (Selector() is { } selector && Whitespace1() && Literal("as") && Whitespace1() && CollectionIdentifiers() is { } binding)
        {
            OptionalWhitespace();
            if (Literal("{") && Enclosed("}") is (var inner, true)) return new CollectionExpression(all, selector, binding, inner!);
        }
        _pos = start;
        return null;
    }

    // CollectionIdentifiers <- Identifier _? "," _? Identifier / Identifier _? "," _? "_" / "_" _? "," _? Identifier / Identifier
    private CollectionBinding? CollectionIdentifiers()
    {
        var start = _pos;
        if (Identifier() is { } first)
        {
            OptionalWhitespace();
            if (Literal(","))
            {
                OptionalWhitespace();
                var beforeSecond = _pos;
                if (Identifier() is { } second) return new CollectionBinding(null, first, second);
                _pos = beforeSecond;
                if (Literal("_")) return new CollectionBinding(null, first, null);
            }
            _pos = start;
        }
        if (Literal("_"))
        {
            OptionalWhitespace();
            if (Literal(","))
            {
                OptionalWhitespace();
                if (Identifier() is { } value) return new CollectionBinding(null, null, value);
            }
        }
        _pos = start;
        if (Identifier() is { } single) return new CollectionBinding(single, null, null);
        _pos = start;
        return null;
    }

    // MatchExpression "match" <- Selector Operator Value / Selector (is empty, is not empty, is nil, is not nil)
    //                            / Value ("in" / "not in") Selector / Value ("in" / "not in") !Selector -> "Invalid selector"
    private FilterExpression? MatchExpression()
    {
        var start = _pos;
        if (Selector() is { } selector)
        {
            var afterSelector = _pos;
            if (SelectorValueOperator() is { } op && Value() is { } value) return Match(selector, op, value);
            _pos = afterSelector;
            if (SelectorOnlyOperator() is { } unary) return new MatchExpression(selector, unary, null);
        }
        _pos = start;
        if (Value() is { } left)
        {
            var afterValue = _pos;
            MatchOperator? membership = null;
            if (Whitespace1() && Literal("in") && Whitespace1()) membership = MatchOperator.In;
            else
            {
                _pos = afterValue;
                if (Whitespace1() && Literal("not") && Whitespace1() && Literal("in") && Whitespace1()) membership = MatchOperator.NotIn;
            }
            if (membership is { } op)
            {
                if (Selector() is { } right) return new MatchExpression(right, op, left);
                throw Custom("match", "Invalid selector");
            }
        }
        _pos = start;
        return null;
    }

    private MatchExpression Match(Selector selector, MatchOperator op, FilterValue value)
    {
        if (op is MatchOperator.Matches or MatchOperator.NotMatches)
        {
            try
            {
                value.Pattern = new Regex(value.Raw, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (ArgumentException ex)
            {
                throw new FilterSyntaxException($"failed to compile regular expression {GoQuote(value.Raw)}: {ex.Message}");
            }
        }
        return new MatchExpression(selector, op, value);
    }

    private MatchOperator? SelectorValueOperator()
    {
        var start = _pos;
        OptionalWhitespace();
        if (Literal("=="))
        {
            OptionalWhitespace();
            return MatchOperator.Equal;
        }
        _pos = start;
        OptionalWhitespace();
        if (Literal("!="))
        {
            OptionalWhitespace();
            return MatchOperator.NotEqual;
        }
        foreach (var (words, op) in WordOperators)
        {
            _pos = start;
            if (Words(words)) return op;
        }
        _pos = start;
        return null;
    }

    private static readonly (string[] Words, MatchOperator Op)[] WordOperators =
    [
        (["contains"], MatchOperator.In),
        (["not", "contains"], MatchOperator.NotIn),
        (["matches"], MatchOperator.Matches),
        (["not", "matches"], MatchOperator.NotMatches),
    ];

    private static readonly (string[] Words, MatchOperator Op)[] UnaryOperators =
    [
        (["is", "empty"], MatchOperator.IsEmpty),
        (["is", "not", "empty"], MatchOperator.IsNotEmpty),
        (["is", "nil"], MatchOperator.IsNil),
        (["is", "not", "nil"], MatchOperator.IsNotNil),
    ];

    private MatchOperator? SelectorOnlyOperator()
    {
        var start = _pos;
        foreach (var (words, op) in UnaryOperators)
        {
            _pos = start;
            // Unlike the operators that take a value, these need no whitespace after the last word.
            if (Words(words, trailingWhitespace: false)) return op;
        }
        _pos = start;
        return null;
    }

    /// <summary><c>_ "w1" _ "w2" ... _</c>, the shape of every word operator.</summary>
    private bool Words(string[] words, bool trailingWhitespace = true)
    {
        foreach (var word in words)
        {
            if (!Whitespace1() || !Literal(word)) return false;
        }
        return !trailingWhitespace || Whitespace1();
    }

    // Selector "selector" <- Identifier SelectorOrIndex* / '"' JsonPointerSegment* '"'
    private Selector? Selector()
    {
        var start = _pos;
        if (Identifier() is { } first)
        {
            var parts = new List<string> { first };
            while (true)
            {
                var before = _pos;
                // SelectorOrIndex <- "." Identifier / IndexExpression / "." [0-9]+
                if (Literal(".") && Identifier() is { } name)
                {
                    parts.Add(name);
                    continue;
                }
                _pos = before;
                if (IndexExpression() is { } key)
                {
                    parts.Add(key);
                    continue;
                }
                _pos = before;
                if (Literal(".") && Digits() is { } index)
                {
                    parts.Add(index);
                    continue;
                }
                _pos = before;
                break;
            }
            return new Selector([.. parts], isPointer: false);
        }
        _pos = start;
        if (Char('"', "\"\\\"\""))
        {
            var parts = new List<string>();
            while (JsonPointerSegment() is { } segment) parts.Add(segment);
            if (Char('"', "\"\\\"\"")) return new Selector([.. parts], isPointer: true);
        }
        _pos = start;
        return null;
    }

    // JsonPointerSegment <- '/' [\pL\pN-_.~:|]+ ; "~0" is "~" and "~1" is "/" (RFC 6901).
    private string? JsonPointerSegment()
    {
        var start = _pos;
        if (!Char('/', "\"/\"")) return null;
        var from = _pos;
        while (Class(IsPointerChar, "[\\pL\\pN-_.~:|]")) { }
        if (_pos == from)
        {
            _pos = start;
            return null;
        }
        // RFC 6901 escapes, undone the way go-bexpr's pointer library does: "~1" is "/", then "~0" is "~".
        return _text[from.._pos].Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
    }

    private static bool IsPointerChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or ':' or '|';

    // IndexExpression "index" <- "[" _? StringLiteral _? "]" / "[" _? !StringLiteral -> "Invalid index"
    //                            / "[" _? StringLiteral _? !"]" -> "Unclosed index expression"
    private string? IndexExpression()
    {
        if (!Literal("[")) return null;
        OptionalWhitespace();
        if (StringLiteral() is not { } key) throw Custom("index", "Invalid index");
        OptionalWhitespace();
        if (!Literal("]")) throw Custom("index", "Unclosed index expression");
        return key;
    }

    // Identifier <- [a-zA-Z] [a-zA-Z0-9_/]*
    private string? Identifier()
    {
        var start = _pos;
        if (!Class(char.IsAsciiLetter, Letter)) return null;
        while (Class(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '/', IdentifierRest)) { }
        return _text[start.._pos];
    }

    private string? Digits()
    {
        var start = _pos;
        while (Class(char.IsAsciiDigit, "[0-9]")) { }
        return _pos > start ? _text[start.._pos] : null;
    }

    // Value "value" <- Selector / NumberLiteral / StringLiteral
    private FilterValue? Value()
    {
        var start = _pos;
        if (Identifier() is not null)
        {
            // A bare word (running, true) is a value: go-bexpr reads it as a selector and uses its text.
            _pos = start;
            var selector = Selector()!;
            return new FilterValue(string.Join('.', selector.Parts));
        }
        _pos = start;
        // The JSON-pointer form of Selector is tried here too; it can only start with the quote a
        // string starts with, so the string literal below records the same expectation.
        Char('"', "\"\\\"\"");
        _pos = start;
        if (NumberLiteral() is { } number) return new FilterValue(number);
        _pos = start;
        if (StringLiteral() is { } text) return new FilterValue(text);
        _pos = start;
        return null;
    }

    // NumberLiteral "number" <- "-"? IntegerOrFloat &AfterNumbers / "-"? IntegerOrFloat !AfterNumbers -> "Invalid number literal"
    // IntegerOrFloat <- ("0" / [1-9][0-9]*) ("." [0-9]+)?   AfterNumbers <- &(_ / EOF / ")")
    private string? NumberLiteral()
    {
        var start = _pos;
        Literal("-");
        if (!Literal("0"))
        {
            if (!Class(c => c is >= '1' and <= '9', "[1-9]"))
            {
                _pos = start;
                return null;
            }
            while (Class(char.IsAsciiDigit, "[0-9]")) { }
        }
        var beforeFraction = _pos;
        if (!(Literal(".") && Class(char.IsAsciiDigit, "[0-9]")))
        {
            _pos = beforeFraction;
        }
        else
        {
            while (Class(char.IsAsciiDigit, "[0-9]")) { }
        }
        var end = _pos;
        var after = Whitespace1() || EndOfInput() || Literal(")");
        _pos = end;
        if (!after) throw Custom("number", "Invalid number literal");
        return _text[start..end];
    }

    // StringLiteral "string" <- '`' RawStringChar* '`' / '"' DoubleStringChar* '"' (then strconv.Unquote)
    //                         / ('`' RawStringChar* / '"' DoubleStringChar*) EOF -> "Unterminated string literal"
    private string? StringLiteral()
    {
        var start = _pos;
        if (Char('`', "\"`\""))
        {
            while (_pos < _text.Length && _text[_pos] != '`') _pos++;
            if (!Char('`', "\"`\"")) throw Custom("string", "Unterminated string literal");
            // Go drops carriage returns from raw strings.
            return _text[(start + 1)..(_pos - 1)].Replace("\r", "", StringComparison.Ordinal);
        }
        if (Char('"', "\"\\\"\""))
        {
            while (_pos < _text.Length && _text[_pos] != '"')
            {
                _pos += _text[_pos] == '\\' && _pos + 1 < _text.Length ? 2 : 1;
            }
            if (!Char('"', "\"\\\"\"")) throw Custom("string", "Unterminated string literal");
            return GoUnquote(_text[(start + 1)..(_pos - 1)]) ?? throw Custom("string", "invalid syntax", start);
        }
        return null;
    }

    /// <summary>The body of a Go double-quoted literal with its escapes resolved (strconv.Unquote); null when Go would refuse it.</summary>
    private static string? GoUnquote(string body)
    {
        if (!body.Contains('\\') && !body.Contains('\n')) return body;
        var result = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\n') return null;
            if (c != '\\')
            {
                result.Append(c);
                continue;
            }
            if (++i >= body.Length) return null;
            switch (body[i])
            {
                case 'a': result.Append('\a'); break;
                case 'b': result.Append('\b'); break;
                case 'f': result.Append('\f'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                case 'v': result.Append('\v'); break;
                case '\\': result.Append('\\'); break;
                case '"': result.Append('"'); break;
                case 'x' when Hex(body, i + 1, 2) is { } b: result.Append((char)b); i += 2; break;
                case 'u' when Hex(body, i + 1, 4) is { } u && IsScalar(u): result.Append(char.ConvertFromUtf32(u)); i += 4; break;
                case 'U' when Hex(body, i + 1, 8) is { } u && IsScalar(u): result.Append(char.ConvertFromUtf32(u)); i += 8; break;
                case >= '0' and <= '7' when Octal(body, i) is { } o: result.Append((char)o); i += 2; break;
                default: return null;
            }
        }
        return result.ToString();

        static bool IsScalar(int u) => u is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF);

        static int? Hex(string s, int from, int count) =>
            from + count <= s.Length && int.TryParse(s.AsSpan(from, count), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : null;

        static int? Octal(string s, int from)
        {
            if (from + 3 > s.Length) return null;
            var v = 0;
            for (var k = from; k < from + 3; k++)
            {
                if (s[k] is < '0' or > '7') return null;
                v = v * 8 + (s[k] - '0');
            }
            return v <= 255 ? v : null;
        }
    }

    // ---- the matching primitives, which keep the PEG parser's record of the farthest failure ----

    private bool Literal(string literal)
    {
        var matched = _text.AsSpan(_pos).StartsWith(literal, StringComparison.Ordinal);
        Record(matched, _pos, GoQuote(literal));
        if (matched) _pos += literal.Length;
        return matched;
    }

    private bool Char(char c, string display)
    {
        var matched = _pos < _text.Length && _text[_pos] == c;
        Record(matched, _pos, display);
        if (matched) _pos++;
        return matched;
    }

    private bool Class(Func<char, bool> accepts, string display)
    {
        var matched = _pos < _text.Length && accepts(_text[_pos]);
        Record(matched, _pos, display);
        if (matched) _pos++;
        return matched;
    }

    // _ "whitespace" <- [ \t\r\n]+
    private bool Whitespace1()
    {
        if (!Class(IsWhitespace, Whitespace)) return false;
        while (Class(IsWhitespace, Whitespace)) { }
        return true;
    }

    private void OptionalWhitespace() => Whitespace1();

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    // EOF <- !.  : the PEG parser records the character that should not be there as "!.", shown as EOF.
    private bool EndOfInput()
    {
        var matched = _pos >= _text.Length;
        if (!matched) Remember(_pos, "!.");
        return matched;
    }

    private void Record(bool matched, int position, string want)
    {
        if (!matched) Remember(position, want);
    }

    private void Remember(int position, string want)
    {
        if (position < _farthest) return;
        if (position > _farthest)
        {
            _farthest = position;
            _expected.Clear();
        }
        if (!_expected.Contains(want)) _expected.Add(want);
    }

    private void Enter()
    {
        if (++_depth > MaxDepth) throw new FilterSyntaxException($"{Position(_pos)}: max nesting depth of {MaxDepth} exceeded");
    }

    private FilterSyntaxException Custom(string rule, string message, int? at = null) =>
        new($"{Position(at ?? _pos)}: rule {GoQuote(rule)}: {message}");

    private FilterSyntaxException NoMatch()
    {
        var wants = _expected.Where(w => w != "!.").Order(StringComparer.Ordinal).ToList();
        if (_expected.Contains("!.")) wants.Add("EOF");
        var list = wants.Count switch
        {
            0 => "",
            1 => wants[0],
            _ => string.Join(", ", wants.Take(wants.Count - 1)) + " or " + wants[^1],
        };
        return new FilterSyntaxException($"{Position(Math.Max(_farthest, 0))}: no match found, expected: {list}");
    }

    /// <summary>The PEG parser's position: line and column in characters from 1, and the offset in UTF-8 bytes.</summary>
    private string Position(int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index && i < _text.Length; i++)
        {
            if (_text[i] != '\n') continue;
            line++;
            lineStart = i + 1;
        }
        var column = 1;
        foreach (var _ in _text.AsSpan(lineStart, Math.Min(index, _text.Length) - lineStart).EnumerateRunes()) column++;
        var offset = Encoding.UTF8.GetByteCount(_text.AsSpan(0, Math.Min(index, _text.Length)));
        return $"{line}:{column} ({offset})";
    }

    private static string GoQuote(string s)
    {
        var quoted = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }

    internal static string Quote(string s) => GoQuote(s);
}
