-- The SQL corpus: each query runs through polaroid-server (ADBC's Flight SQL driver) and through DuckDB on the same
-- Parquet files (python/tests/sqlcheck.py writes them), and the answers must be equal (rows after a canonical sort,
-- floats to a relative 1e-9). One query per line, ClickBench's queries.sql convention; `--` lines are comments.
-- Queries that Polars' SQL does not support, or answers on purpose differently, are listed with the reason in
-- expected.toml: those must fail with a clean status (or differ) and leave the server serving.
-- Tables: trades (a file, loaded into the cache), trades_dir (the same rows as three files in a directory, scanned
-- per query), symbols (a dimension table; some symbols have no trades, some trades no symbol), empty (the trades
-- schema, no rows), wide (120 columns).

-- projections
SELECT * FROM trades
SELECT trade_id, symbol FROM trades
SELECT symbol, price, quantity FROM trades WHERE trade_id < 10
SELECT trade_id, price * quantity AS notional FROM trades
SELECT trade_id, price + 1 AS p1, price - 1 AS m1, price * 2 AS d2, price / 2 AS h2 FROM trades
SELECT trade_id, -price AS neg FROM trades
SELECT trade_id, quantity % 7 AS r FROM trades
SELECT DISTINCT symbol FROM trades
SELECT DISTINCT symbol, side FROM trades
SELECT DISTINCT venue FROM trades
SELECT trade_id AS id, symbol AS s FROM trades WHERE trade_id BETWEEN 100 AND 120
SELECT t.trade_id, t.symbol FROM trades AS t WHERE t.trade_id < 50
SELECT 1 AS one, 'x' AS letter FROM trades WHERE trade_id < 3
SELECT trade_id, ABS(price - 100) AS dist FROM trades
SELECT trade_id, ROUND(price / 3, 2) AS r FROM trades
SELECT trade_id, FLOOR(price) AS f, CEIL(price) AS c FROM trades
SELECT trade_id, SQRT(price) AS s FROM trades
SELECT trade_id, POWER(quantity, 2) AS q2 FROM trades
SELECT trade_id, LN(price) AS l FROM trades
SELECT trade_id, GREATEST(price, 100) AS g, LEAST(price, 100) AS l FROM trades
SELECT * FROM trades_dir
SELECT symbol, price FROM trades_dir WHERE trade_id < 100
SELECT * FROM symbols
SELECT * FROM wide
SELECT c0, c59, c119 FROM wide

-- filters
SELECT * FROM trades WHERE price > 99
SELECT * FROM trades WHERE price >= 100 AND quantity < 50
SELECT * FROM trades WHERE symbol = 'S03'
SELECT * FROM trades WHERE symbol <> 'S03' AND side = 'B'
SELECT * FROM trades WHERE symbol IN ('S01', 'S02', 'S05')
SELECT * FROM trades WHERE symbol NOT IN ('S01', 'S02', 'S05')
SELECT * FROM trades WHERE price BETWEEN 80 AND 90
SELECT * FROM trades WHERE price NOT BETWEEN 60 AND 140
SELECT * FROM trades WHERE venue IS NULL
SELECT * FROM trades WHERE venue IS NOT NULL AND fee IS NULL
SELECT * FROM trades WHERE symbol LIKE 'S1%'
SELECT * FROM trades WHERE symbol LIKE '%3'
SELECT * FROM trades WHERE symbol NOT LIKE 'S0%'
SELECT * FROM trades WHERE venue LIKE 'X%S'
SELECT * FROM trades WHERE (price > 140 OR price < 55) AND side = 'S'
SELECT * FROM trades WHERE NOT (price > 100)
SELECT * FROM trades WHERE trade_id % 1000 = 0
SELECT * FROM trades WHERE price * quantity > 70000
SELECT * FROM trades WHERE fee > 0.5
SELECT * FROM trades WHERE fee = 0 OR fee IS NULL
SELECT * FROM trades WHERE ts < TIMESTAMP '2026-01-02 00:00:00'
SELECT * FROM trades WHERE ts >= TIMESTAMP '2026-01-20 00:00:00' AND ts < TIMESTAMP '2026-01-21 00:00:00'
SELECT * FROM trades WHERE price > 1000
SELECT * FROM trades_dir WHERE price > 99 AND symbol = 'S07'
SELECT * FROM symbols WHERE active
SELECT * FROM symbols WHERE NOT active
SELECT * FROM symbols WHERE sector IS NULL
SELECT * FROM symbols WHERE listed > DATE '2020-01-01'
SELECT * FROM empty WHERE price > 0
SELECT * FROM wide WHERE c3 > 500

-- aggregates
SELECT COUNT(*) AS n FROM trades
SELECT COUNT(*) AS n FROM trades_dir
SELECT COUNT(venue) AS n FROM trades
SELECT COUNT(DISTINCT symbol) AS n FROM trades
SELECT SUM(quantity) AS q FROM trades
SELECT AVG(price) AS p FROM trades
SELECT MIN(price) AS lo, MAX(price) AS hi FROM trades
SELECT MIN(ts) AS first_ts, MAX(ts) AS last_ts FROM trades
SELECT MIN(symbol) AS a, MAX(symbol) AS z FROM trades
SELECT SUM(price * quantity) / SUM(quantity) AS vwap FROM trades
SELECT STDDEV(price) AS s FROM trades
SELECT VARIANCE(price) AS v FROM trades
SELECT MEDIAN(price) AS m FROM trades
SELECT SUM(fee) AS f, AVG(fee) AS a, COUNT(fee) AS c FROM trades
SELECT COUNT(*) AS n FROM empty
SELECT SUM(price) AS s FROM empty
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol
SELECT symbol, SUM(price * quantity) / SUM(quantity) AS vwap FROM trades GROUP BY symbol
SELECT symbol, MIN(price) AS lo, MAX(price) AS hi, AVG(price) AS mean FROM trades GROUP BY symbol
SELECT symbol, side, COUNT(*) AS n, SUM(quantity) AS q FROM trades GROUP BY symbol, side
SELECT venue, COUNT(*) AS n FROM trades GROUP BY venue
SELECT side, COUNT(DISTINCT symbol) AS n FROM trades GROUP BY side
SELECT symbol, COUNT(fee) AS with_fee, COUNT(*) AS n FROM trades GROUP BY symbol
SELECT symbol, SUM(quantity) AS q FROM trades WHERE price > 100 GROUP BY symbol
SELECT quantity % 10 AS bucket, COUNT(*) AS n FROM trades GROUP BY quantity % 10
SELECT symbol, STDDEV(price) AS s FROM trades GROUP BY symbol
SELECT symbol, MEDIAN(quantity) AS m FROM trades GROUP BY symbol
SELECT symbol, MAX(trade_id) AS last_id, MIN(trade_id) AS first_id FROM trades GROUP BY symbol
SELECT symbol, COUNT(*) AS n FROM trades_dir GROUP BY symbol
SELECT sector, COUNT(*) AS n FROM symbols GROUP BY sector
SELECT active, MIN(listed) AS first_listed FROM symbols GROUP BY active
SELECT symbol, COUNT(*) AS n FROM empty GROUP BY symbol
SELECT c1 % 5 AS k, SUM(c2) AS s, MAX(c100) AS m FROM wide GROUP BY c1 % 5

-- HAVING
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol HAVING COUNT(*) > 800
SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol HAVING AVG(price) > 100
SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol HAVING SUM(quantity) BETWEEN 100000 AND 250000
SELECT side, symbol, COUNT(*) AS n FROM trades GROUP BY side, symbol HAVING COUNT(*) < 400
SELECT venue, MAX(price) AS hi FROM trades GROUP BY venue HAVING MAX(price) > 149
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol HAVING MIN(price) > 1000
SELECT symbol, SUM(price * quantity) / SUM(quantity) AS vwap FROM trades GROUP BY symbol HAVING SUM(price * quantity) / SUM(quantity) > 99

-- ORDER BY and LIMIT (ordered by a unique key, so the first rows are defined)
SELECT * FROM trades ORDER BY trade_id LIMIT 10
SELECT * FROM trades ORDER BY trade_id DESC LIMIT 10
SELECT trade_id, price FROM trades ORDER BY price DESC, trade_id LIMIT 25
SELECT trade_id, price FROM trades ORDER BY price, trade_id DESC LIMIT 25
SELECT * FROM trades ORDER BY trade_id LIMIT 5 OFFSET 100
SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol ORDER BY q DESC LIMIT 5
SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol ORDER BY symbol LIMIT 3
SELECT symbol FROM trades GROUP BY symbol ORDER BY 1 LIMIT 3
SELECT trade_id FROM trades_dir ORDER BY trade_id DESC LIMIT 7
SELECT * FROM trades ORDER BY trade_id LIMIT 0
SELECT * FROM symbols ORDER BY symbol
SELECT trade_id, symbol FROM trades WHERE price > 149 ORDER BY symbol, trade_id
SELECT * FROM empty ORDER BY trade_id LIMIT 10
SELECT trade_id, price * quantity AS notional FROM trades ORDER BY notional DESC, trade_id LIMIT 10

-- joins
SELECT t.trade_id, s.sector FROM trades t JOIN symbols s ON t.symbol = s.symbol
SELECT t.trade_id, s.sector FROM trades t INNER JOIN symbols s ON t.symbol = s.symbol WHERE s.active
SELECT t.trade_id, s.sector FROM trades t LEFT JOIN symbols s ON t.symbol = s.symbol
SELECT s.symbol, t.trade_id FROM symbols s LEFT JOIN trades t ON t.symbol = s.symbol WHERE t.trade_id IS NULL
SELECT t.trade_id, s.symbol FROM trades t RIGHT JOIN symbols s ON t.symbol = s.symbol WHERE t.trade_id IS NULL OR t.trade_id < 100
SELECT COALESCE(t.symbol, s.symbol) AS symbol, COUNT(t.trade_id) AS n FROM trades t FULL OUTER JOIN symbols s ON t.symbol = s.symbol GROUP BY COALESCE(t.symbol, s.symbol)
SELECT s.sector, COUNT(*) AS n, SUM(t.quantity) AS q FROM trades t JOIN symbols s ON t.symbol = s.symbol GROUP BY s.sector
SELECT s.sector, SUM(t.price * t.quantity) / SUM(t.quantity) AS vwap FROM trades t JOIN symbols s ON t.symbol = s.symbol GROUP BY s.sector
SELECT t.symbol, s.lot, SUM(t.quantity) AS q FROM trades t JOIN symbols s USING (symbol) GROUP BY t.symbol, s.lot
SELECT a.trade_id, b.trade_id AS next_id FROM trades a JOIN trades b ON a.trade_id + 1 = b.trade_id WHERE a.trade_id < 100
SELECT a.symbol, b.symbol AS other FROM symbols a CROSS JOIN symbols b WHERE a.symbol < b.symbol
SELECT t.trade_id, d.price FROM trades t JOIN trades_dir d ON t.trade_id = d.trade_id WHERE t.trade_id < 500
SELECT s.symbol, x.n FROM symbols s JOIN (SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol) x ON s.symbol = x.symbol
SELECT t.trade_id FROM trades t JOIN symbols s ON t.symbol = s.symbol AND s.lot > 50
SELECT t.trade_id, s.sector FROM trades t JOIN symbols s ON t.symbol = s.symbol WHERE t.price > 145 AND s.sector = 'tech'
SELECT COUNT(*) AS n FROM trades t JOIN empty e ON t.trade_id = e.trade_id
SELECT s.symbol, t.trade_id FROM symbols s CROSS JOIN trades t WHERE t.trade_id < 3
SELECT t.trade_id, t.symbol FROM trades t SEMI JOIN symbols s ON t.symbol = s.symbol
SELECT t.symbol FROM trades t ANTI JOIN symbols s ON t.symbol = s.symbol

-- CTEs and derived tables
WITH s AS (SELECT symbol, AVG(price) AS p FROM trades GROUP BY symbol) SELECT COUNT(*) AS n FROM s WHERE p > 50
WITH s AS (SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol) SELECT * FROM s WHERE q > 200000
WITH big AS (SELECT * FROM trades WHERE quantity > 400), named AS (SELECT big.*, s.sector FROM big JOIN symbols s ON big.symbol = s.symbol) SELECT sector, COUNT(*) AS n FROM named GROUP BY sector
WITH a AS (SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol), b AS (SELECT symbol, COUNT(*) AS n FROM trades_dir GROUP BY symbol) SELECT a.symbol, a.n - b.n AS diff FROM a JOIN b ON a.symbol = b.symbol
WITH x AS (SELECT trade_id, price FROM trades WHERE trade_id < 100) SELECT MAX(price) AS hi FROM x
WITH trades_b AS (SELECT * FROM trades WHERE side = 'B') SELECT symbol, COUNT(*) AS n FROM trades_b GROUP BY symbol
SELECT symbol, n FROM (SELECT symbol, COUNT(*) AS n FROM trades GROUP BY symbol) sub WHERE n > 700
SELECT AVG(q) AS mean_q FROM (SELECT symbol, SUM(quantity) AS q FROM trades GROUP BY symbol) per_symbol
SELECT * FROM (SELECT trade_id, price * 2 AS p2 FROM trades) d WHERE p2 > 290
SELECT COUNT(*) AS n FROM (SELECT DISTINCT symbol, side FROM trades) d
SELECT sector, MAX(n) AS most FROM (SELECT s.sector, t.symbol, COUNT(*) AS n FROM trades t JOIN symbols s ON t.symbol = s.symbol GROUP BY s.sector, t.symbol) g GROUP BY sector
WITH e AS (SELECT * FROM empty) SELECT COUNT(*) AS n FROM e

-- subqueries
SELECT symbol FROM trades WHERE symbol IN (SELECT symbol FROM trades WHERE price > 99) GROUP BY symbol ORDER BY 1 LIMIT 3
SELECT COUNT(*) AS n FROM trades WHERE EXISTS (SELECT 1 FROM trades t2 WHERE t2.symbol = trades.symbol AND t2.price > 99.9)
SELECT COUNT(*) AS n FROM trades WHERE symbol IN (SELECT symbol FROM symbols WHERE active)
SELECT COUNT(*) AS n FROM trades WHERE symbol NOT IN (SELECT symbol FROM symbols WHERE sector = 'tech')
SELECT * FROM symbols WHERE symbol IN (SELECT symbol FROM trades WHERE quantity > 495)
SELECT * FROM symbols s WHERE NOT EXISTS (SELECT 1 FROM trades t WHERE t.symbol = s.symbol)
SELECT * FROM symbols s WHERE EXISTS (SELECT 1 FROM trades t WHERE t.symbol = s.symbol AND t.price > 149)
SELECT trade_id FROM trades WHERE price > (SELECT AVG(price) FROM trades) AND trade_id < 200
SELECT trade_id, price - (SELECT MIN(price) FROM trades) AS above_min FROM trades WHERE trade_id < 20
SELECT COUNT(*) AS n FROM trades WHERE symbol IN (SELECT symbol FROM empty)
SELECT COUNT(*) AS n FROM trades_dir WHERE symbol IN (SELECT symbol FROM symbols WHERE lot > 50)
SELECT symbol, (SELECT COUNT(*) FROM symbols) AS listed FROM trades WHERE trade_id < 5

-- set operations
SELECT symbol FROM trades UNION SELECT symbol FROM symbols
SELECT symbol FROM trades UNION ALL SELECT symbol FROM symbols
SELECT symbol FROM trades INTERSECT SELECT symbol FROM symbols
SELECT symbol FROM symbols EXCEPT SELECT symbol FROM trades
SELECT trade_id FROM trades WHERE trade_id < 5 UNION ALL SELECT trade_id FROM trades_dir WHERE trade_id < 5
SELECT symbol, 'trades' AS src FROM trades WHERE trade_id < 3 UNION ALL SELECT symbol, 'symbols' AS src FROM symbols

-- window functions
SELECT trade_id, symbol, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY trade_id) AS rn FROM trades
SELECT trade_id, symbol, SUM(quantity) OVER (PARTITION BY symbol) AS total FROM trades
SELECT trade_id, symbol, AVG(price) OVER (PARTITION BY symbol) AS mean FROM trades
SELECT trade_id, symbol, COUNT(*) OVER (PARTITION BY symbol) AS n FROM trades
SELECT trade_id, symbol, MAX(price) OVER (PARTITION BY symbol, side) AS hi FROM trades
SELECT trade_id, SUM(quantity) OVER (ORDER BY trade_id) AS running FROM trades
SELECT trade_id, symbol, SUM(quantity) OVER (PARTITION BY symbol ORDER BY trade_id) AS running FROM trades
SELECT trade_id, symbol, RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC) AS r FROM trades
SELECT trade_id, symbol, DENSE_RANK() OVER (PARTITION BY symbol ORDER BY quantity DESC) AS r FROM trades
SELECT trade_id, symbol, LAG(price) OVER (PARTITION BY symbol ORDER BY trade_id) AS prev FROM trades
SELECT trade_id, symbol, LEAD(price) OVER (PARTITION BY symbol ORDER BY trade_id) AS next FROM trades
SELECT trade_id, symbol, FIRST_VALUE(price) OVER (PARTITION BY symbol ORDER BY trade_id) AS first_price FROM trades
SELECT trade_id, price - AVG(price) OVER (PARTITION BY symbol) AS dev FROM trades
SELECT * FROM (SELECT trade_id, symbol, ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY price DESC, trade_id) AS rn FROM trades) r WHERE rn <= 2
SELECT trade_id, SUM(quantity) OVER (PARTITION BY symbol ORDER BY trade_id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS last3 FROM trades
SELECT trade_id, MIN(price) OVER (PARTITION BY venue) AS lo FROM trades
SELECT symbol, lot, SUM(lot) OVER (PARTITION BY sector) AS sector_lots FROM symbols
SELECT trade_id, ROW_NUMBER() OVER (ORDER BY trade_id DESC) AS rn FROM trades_dir WHERE trade_id < 50

-- CASE
SELECT trade_id, CASE WHEN price > 100 THEN 'high' ELSE 'low' END AS band FROM trades
SELECT trade_id, CASE WHEN price > 120 THEN 'high' WHEN price > 80 THEN 'mid' ELSE 'low' END AS band FROM trades
SELECT trade_id, CASE side WHEN 'B' THEN 1 WHEN 'S' THEN -1 END AS sign FROM trades
SELECT trade_id, CASE WHEN venue IS NULL THEN 'unknown' ELSE venue END AS v FROM trades
SELECT CASE WHEN price > 100 THEN 'high' ELSE 'low' END AS band, COUNT(*) AS n FROM trades GROUP BY CASE WHEN price > 100 THEN 'high' ELSE 'low' END
SELECT symbol, SUM(CASE WHEN side = 'B' THEN quantity ELSE 0 END) AS bought, SUM(CASE WHEN side = 'S' THEN quantity ELSE 0 END) AS sold FROM trades GROUP BY symbol
SELECT trade_id, CASE WHEN fee IS NULL THEN 0 ELSE fee END AS f FROM trades
SELECT symbol, COUNT(CASE WHEN price > 100 THEN 1 END) AS above FROM trades GROUP BY symbol

-- casts
SELECT trade_id, CAST(quantity AS DOUBLE) AS q FROM trades
SELECT trade_id, CAST(quantity AS VARCHAR) AS q FROM trades
SELECT trade_id, CAST(trade_id AS BIGINT) * 2 AS t2 FROM trades
SELECT trade_id, CAST(ts AS DATE) AS d FROM trades
SELECT trade_id, CAST(price AS INTEGER) AS p FROM trades
SELECT trade_id, CAST(quantity AS DOUBLE) / 3 AS third FROM trades
SELECT trade_id, quantity / 3 AS third FROM trades
SELECT CAST('42' AS INTEGER) AS n FROM trades WHERE trade_id = 0
SELECT trade_id, CAST(symbol AS VARCHAR) || '-' || side AS tag FROM trades
SELECT CAST(listed AS VARCHAR) AS d FROM symbols
SELECT trade_id, price::BIGINT AS p FROM trades

-- dates and times
SELECT trade_id, EXTRACT(YEAR FROM ts) AS y, EXTRACT(MONTH FROM ts) AS m, EXTRACT(DAY FROM ts) AS d FROM trades
SELECT trade_id, EXTRACT(HOUR FROM ts) AS h FROM trades
SELECT trade_id, DATE_PART('minute', ts) AS mi FROM trades
SELECT CAST(ts AS DATE) AS day, COUNT(*) AS n FROM trades GROUP BY CAST(ts AS DATE)
SELECT EXTRACT(DAY FROM ts) AS d, SUM(quantity) AS q FROM trades GROUP BY EXTRACT(DAY FROM ts)
SELECT trade_id, ts + INTERVAL '1 day' AS tomorrow FROM trades WHERE trade_id < 100
SELECT trade_id, ts - INTERVAL '2 hours' AS earlier FROM trades WHERE trade_id < 100
SELECT trade_id, DATE_TRUNC('day', ts) AS day FROM trades
SELECT trade_id, STRFTIME(ts, '%Y-%m-%d') AS d FROM trades
SELECT symbol, EXTRACT(YEAR FROM listed) AS y FROM symbols
SELECT * FROM symbols WHERE listed BETWEEN DATE '2015-01-01' AND DATE '2021-12-31'
SELECT trade_id, EXTRACT(DOW FROM ts) AS dow FROM trades WHERE trade_id < 500
SELECT MAX(ts) - MIN(ts) AS span FROM trades

-- strings
SELECT trade_id, UPPER(venue) AS u, LOWER(venue) AS l FROM trades
SELECT trade_id, LENGTH(venue) AS n FROM trades
SELECT trade_id, SUBSTR(symbol, 2, 2) AS digits FROM trades
SELECT trade_id, CONCAT(symbol, '/', side) AS s FROM trades
SELECT trade_id, symbol || ':' || side AS s FROM trades
SELECT trade_id, REPLACE(symbol, 'S', 'T') AS r FROM trades
SELECT trade_id, LEFT(venue, 2) AS l, RIGHT(venue, 2) AS r FROM trades
SELECT trade_id, TRIM(' ' || symbol || ' ') AS t FROM trades
SELECT trade_id, REVERSE(symbol) AS r FROM trades
SELECT trade_id, STARTS_WITH(venue, 'X') AS x FROM trades
SELECT * FROM trades WHERE UPPER(venue) = 'IEX'
SELECT LENGTH(symbol) AS n, COUNT(*) AS c FROM symbols GROUP BY LENGTH(symbol)
SELECT sector, STRING_AGG(symbol, ',' ORDER BY symbol) AS members FROM symbols GROUP BY sector
SELECT trade_id, LPAD(CAST(quantity AS VARCHAR), 5, '0') AS q FROM trades
SELECT * FROM trades WHERE venue ILIKE 'x%'
SELECT trade_id, venue ~ '^X.*S$' AS m FROM trades

-- NULLs
SELECT trade_id, COALESCE(venue, 'none') AS v FROM trades
SELECT trade_id, COALESCE(fee, 0) AS f FROM trades
SELECT trade_id, NULLIF(side, 'B') AS s FROM trades
SELECT trade_id, IFNULL(fee, -1) AS f FROM trades
SELECT COUNT(*) AS n FROM trades WHERE fee IS NULL
SELECT trade_id, fee + 1 AS f1 FROM trades
SELECT trade_id, venue || '!' AS v FROM trades
SELECT venue, COUNT(*) AS n FROM trades WHERE venue IS NULL GROUP BY venue
SELECT trade_id, NULL AS nothing FROM trades WHERE trade_id < 3
SELECT s.symbol, s.sector, COALESCE(s.sector, 'unassigned') AS sector_name FROM symbols s
SELECT MAX(fee) AS hi, MIN(fee) AS lo FROM trades WHERE fee IS NOT NULL

-- empty results and edge shapes
SELECT * FROM trades WHERE 1 = 0
SELECT symbol, COUNT(*) AS n FROM trades WHERE price < 0 GROUP BY symbol
SELECT * FROM empty
SELECT t.* FROM trades t JOIN symbols s ON t.symbol = s.symbol WHERE s.lot < 0
SELECT * FROM trades LIMIT 0
SELECT COUNT(*) AS n FROM trades WHERE symbol = 'NONE'

-- long and wide results
SELECT t.trade_id, s.symbol AS other FROM trades t CROSS JOIN symbols s
SELECT * FROM trades t JOIN trades_dir d ON t.trade_id = d.trade_id
SELECT *, price * 2 AS p2, quantity * 2 AS q2, price * quantity AS notional FROM trades
SELECT w.*, t.symbol FROM wide w JOIN trades t ON w.c0 = t.trade_id
SELECT c0 + c1 AS a, c2 * c3 AS b, c4 - c5 AS c, c6 AS d FROM wide
