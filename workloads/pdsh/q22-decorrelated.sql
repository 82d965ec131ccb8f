WITH candidates AS (
    SELECT c_custkey, SUBSTRING(c_phone, 1, 2) AS cntrycode, c_acctbal
    FROM customer
    WHERE SUBSTRING(c_phone, 1, 2) IN ('13', '31', '23', '29', '30', '18', '17')),
average AS (
    SELECT AVG(c_acctbal) AS avg_acctbal FROM candidates WHERE c_acctbal > 0.00)
SELECT c.cntrycode, COUNT(*) AS numcust, SUM(c.c_acctbal) AS totacctbal
FROM candidates c
CROSS JOIN average a
WHERE c.c_acctbal > a.avg_acctbal
  AND c.c_custkey NOT IN (SELECT o_custkey FROM orders)
GROUP BY c.cntrycode
ORDER BY c.cntrycode
