"""GradBench's LSTM and hand-tracking objectives, ported from its PyTorch versions (from
Microsoft's ADBench, MIT licence) to NumPy line by line, as a user would port them: `_range=None`,
builtin sum, int() of an argument, `*shape`, a list literal of indices, in-place writes into arrays
made inside, a branch on a parent index. tests/e2e/test_gradbench.py differentiates them unmodified."""
import numpy as np


# ---------------------------------------------------------------------------
# LSTM


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_model(weight, bias, hidden, cell, _input):
    gates = np.concatenate((_input, hidden, _input, hidden)) * weight + bias
    hsize = hidden.shape[0]
    forget = sigmoid(gates[0:hsize])
    ingate = sigmoid(gates[hsize:2 * hsize])
    outgate = sigmoid(gates[2 * hsize:3 * hsize])
    change = np.tanh(gates[3 * hsize:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def lstm_predict(w, w2, s, x):
    s2 = s.copy()
    x = x * w2[0]
    for i in range(0, len(s), 2):
        s2[i], s2[i + 1] = lstm_model(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s2[i]
    return x * w2[1] + w2[2], s2


def lstm_objective(main_params, extra_params, state, sequence, _range=None):
    if _range is None:
        _range = range(0, len(sequence) - 1)
    total = 0.0
    count = 0
    _input = sequence[_range[0]]
    all_states = [state]
    for t in _range:
        ypred, new_state = lstm_predict(main_params, extra_params, all_states[t], _input)
        all_states.append(new_state)
        ynorm = ypred - np.log(sum(np.exp(ypred), 2))
        ygold = sequence[t + 1]
        total += sum(ygold * ynorm)
        count += ygold.shape[0]
        _input = ygold
    return -total / count


# ---------------------------------------------------------------------------
# hand tracking


def to_pose_params(theta, nbones):
    pose_params = np.zeros((int(nbones) + 3, 3))
    pose_params[0, :] = theta[0:3]
    pose_params[1, :] = np.ones((3,))
    pose_params[2, :] = theta[3:6]
    i_theta = 6
    i_pose_params = 5
    n_fingers = 5
    for i_finger in range(n_fingers):
        for i in [1, 2, 3]:
            pose_params[i_pose_params, 0] = theta[i_theta]
            i_theta += 1
            if i == 1:
                pose_params[i_pose_params, 1] = theta[i_theta]
                i_theta += 1
            i_pose_params += 1
        i_pose_params += 1
    return pose_params


def euler_angles_to_rotation_matrix(xzy):
    tx, ty, tz = xzy[0], xzy[2], xzy[1]
    Rx = np.eye(3)
    Rx[1, 1] = np.cos(tx)
    Rx[2, 1] = np.sin(tx)
    Rx[1, 2] = -Rx[2, 1]
    Rx[2, 2] = Rx[1, 1]
    Ry = np.eye(3)
    Ry[0, 0] = np.cos(ty)
    Ry[2, 0] = np.sin(ty)
    Ry[0, 2] = -Ry[2, 0]
    Ry[2, 2] = Ry[0, 0]
    Rz = np.eye(3)
    Rz[0, 0] = np.cos(tz)
    Rz[1, 0] = np.sin(tz)
    Rz[0, 1] = -Rz[1, 0]
    Rz[1, 1] = Rz[0, 0]
    return (Rz @ Ry) @ Rx


def get_posed_relatives(pose_params, base_relatives):
    def inner(rot_param, base_relative):
        tr = np.eye(4)
        tr[:3, :3] = euler_angles_to_rotation_matrix(rot_param)
        return base_relative @ tr
    return np.stack([inner(pose_params[3:][i], base_relatives[i]) for i in range(len(pose_params[3:]))])


def relatives_to_absolutes(relatives, parents):
    absolutes = []
    for i in range(relatives.shape[0]):
        if parents[i] == -1:
            absolutes.append(relatives[i])
        else:
            absolutes.append(absolutes[parents[i]] @ relatives[i])
    return np.stack(absolutes)


def angle_axis_to_rotation_matrix(angle_axis):
    n = np.sqrt(np.sum(angle_axis ** 2))
    if n < 0.0001:
        return np.eye(3)
    x, y, z = angle_axis / n
    s, c = np.sin(n), np.cos(n)
    R = np.zeros((3, 3))
    R[0, 0] = x * x + (1 - x * x) * c
    R[0, 1] = x * y * (1 - c) - z * s
    R[0, 2] = x * z * (1 - c) + y * s
    R[1, 0] = x * y * (1 - c) + z * s
    R[1, 1] = y * y + (1 - y * y) * c
    R[1, 2] = y * z * (1 - c) - x * s
    R[2, 0] = x * z * (1 - c) - y * s
    R[2, 1] = z * y * (1 - c) + x * s
    R[2, 2] = z * z + (1 - z * z) * c
    return R


def apply_global_transform(pose_params, positions):
    R = angle_axis_to_rotation_matrix(pose_params[0])
    s = pose_params[1]
    R *= s
    t = pose_params[2]
    return (R @ positions.T).T + t


def get_skinned_vertex_positions(pose_params, base_relatives, parents, inverse_base_absolutes,
                                 base_positions, weights, mirror_factor):
    relatives = get_posed_relatives(pose_params, base_relatives)
    absolutes = relatives_to_absolutes(relatives, parents)
    transforms = np.stack([absolutes[i] @ inverse_base_absolutes[i] for i in range(len(absolutes))])
    positions = np.stack([transforms[i, :, :] @ base_positions.T
                          for i in range(transforms.shape[0])]).transpose(2, 0, 1)
    positions2 = np.sum(positions * weights.reshape((*weights.shape, 1)), 1)[:, :3]
    return apply_global_transform(pose_params, positions2)


def hand_objective(params, nbones, parents, base_relatives, inverse_base_absolutes, base_positions,
                   weights, mirror_factor, points, correspondences):
    pose_params = to_pose_params(params, nbones)
    vertex_positions = get_skinned_vertex_positions(pose_params, base_relatives, parents,
                                                    inverse_base_absolutes, base_positions, weights,
                                                    mirror_factor)
    return np.stack([points[i] - vertex_positions[int(correspondences[i])] for i in range(points.shape[0])])
