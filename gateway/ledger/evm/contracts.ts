import { Interface, type InterfaceAbi } from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';

export const anchorRegistryInterface = new Interface(artifacts.AnchorRegistry.abi as InterfaceAbi);
export const consortiumRegistryInterface = new Interface(artifacts.ConsortiumRegistry.abi as InterfaceAbi);
