from odoo.tests import TransactionCase, tagged

from ..psb.errors import NotFoundError
from ..tools.parallel import run_parallel
from .common import PARTY, EconnectSimulatorMixin


@tagged("post_install", "-at_install")
class TestParallel(EconnectSimulatorMixin, TransactionCase):
    """Threads get plain data only: ORM values are refused before any thread starts."""

    def test_orm_values_are_refused_before_any_call(self):
        client = self.company._econnect_client()
        party = self.company._econnect_party()
        for jobs in (
            [(1, client, (party, self.company))],  # a record as an argument
            [(self.company, client, (party, "x"))],  # a record as the key
            [(1, client, (party, {"env": self.env}))],  # the environment, nested
            [(1, client, (party, [self.env.cr]))],  # the cursor, nested
            [(1, self.company, (party, "x"))],  # a record where the PSB client belongs
        ):
            with self.subTest(jobs=jobs), self.assertRaisesRegex(TypeError, "run_parallel"):
                run_parallel("get_sent_status", jobs)
        for method in ("_call", "no_such_method", lambda c: c, "max_retry_seconds"):
            with self.subTest(method=method), self.assertRaisesRegex(TypeError, "public method"):
                run_parallel(method, [(1, client, (party, "x"))])
        self.assertFalse(self.simulator.requests, "nothing was called")

    def test_results_in_order_with_each_failure_on_its_job(self):
        client = self.company._econnect_client()
        missing = ["00000000-0000-4000-8000-00000000000%s" % i for i in range(3)]
        results = run_parallel("get_sent_status", [(i, client, (PARTY, doc)) for i, doc in enumerate(missing)])
        self.assertEqual([key for key, _answer, _error in results], [0, 1, 2])
        self.assertTrue(all(isinstance(error, NotFoundError) for _key, _answer, error in results))
        [(_key, parties, error)] = run_parallel("get_my_parties", [("me", client, ())])
        self.assertIsNone(error)
        self.assertEqual(len(parties), 2, "the parties of the credentials")
