// Test helper: the receipt of a sent transaction, polled for. ethers' wait() can miss a
// transaction mined between its first receipt check and its block subscriber's first poll, and on
// an automining chain no later block may ever come (see TxSender.mined); a loaded machine hits
// that window often enough to hang a test.
import type { BaseContract, ContractTransactionResponse, TransactionReceipt } from 'ethers';

export async function mined(sent: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const response = await sent;
  for (;;) {
    const receipt = await response.provider.getTransactionReceipt(response.hash);
    if (receipt) {
      if (receipt.status !== 1) throw new Error(`transaction ${response.hash} reverted in block ${receipt.blockNumber}`);
      return receipt;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A contract deployed by `deploying` once its deployment is mined (waitForDeployment waits like wait()). */
export async function deployed<C extends BaseContract>(deploying: Promise<C>): Promise<C> {
  const contract = await deploying;
  await mined(Promise.resolve(contract.deploymentTransaction()!));
  return contract;
}
